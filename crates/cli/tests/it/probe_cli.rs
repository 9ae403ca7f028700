//! `certdesk probe` as a user runs it: the built binary against a real nginx, with
//! `--cert/--key [--password-file] --ca-file --json --report-out`. Exit 0 only for
//! `accepted`, 1 for any other verdict, 2 for errors; the help-desk report and the output carry
//! no key material and no password.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use certdesk_testkit::servers::fixture::{client_pki, foreign_pki};
use certdesk_testkit::servers::{ApacheSpec, ApacheVerify, NginxSpec, RunningServer};
use certdesk_testkit::{run_tool, IdentityFiles, IssuedIdentity, PasswordFile};

/// A password no report may contain.
const PASSWORD: &str = "Kr4nich-Pfeffer-93jq";

/// The certdesk binary cargo built for this test run.
fn certdesk_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_certdesk"))
}

/// Runs `certdesk probe` with `args`, in a HOME of its own, in English whatever the machine's
/// locale.
fn certdesk_probe(binary: &Path, home: &Path, args: &[&std::ffi::OsStr]) -> Output {
    certdesk_probe_in(binary, home, args, "C")
}

/// `certdesk probe` as a person with a German locale runs it (`LANG=de_DE.UTF-8`).
fn certdesk_probe_german(binary: &Path, home: &Path, args: &[&std::ffi::OsStr]) -> Output {
    certdesk_probe_in(binary, home, args, "de_DE.UTF-8")
}

/// Runs `certdesk probe` with `LANG=lang` and no LC_ALL / LC_MESSAGES over it.
fn certdesk_probe_in(binary: &Path, home: &Path, args: &[&std::ffi::OsStr], lang: &str) -> Output {
    Command::new(binary)
        .arg("probe")
        .args(args)
        .env("HOME", home)
        .env("CERTDESK_HOME", home.join("certdesk"))
        .env_remove("CERTDESK_PASSPHRASE")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", lang)
        .output()
        .expect("certdesk runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The 32-byte private scalar inside an openssl P-256 PKCS#8 key: after
/// `INTEGER 1, OCTET STRING (32)` of the inner ECPrivateKey.
fn ec_private_scalar(pkcs8_der: &[u8]) -> Vec<u8> {
    let marker = [0x02, 0x01, 0x01, 0x04, 0x20];
    let at = pkcs8_der
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("an EC private key in the PKCS#8");
    pkcs8_der[at + marker.len()..at + marker.len() + 32].to_vec()
}

fn pem_body(pem: &[u8]) -> Vec<String> {
    text(pem)
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let Some(v) = B64.iter().position(|&b| b == c) else {
            continue;
        };
        acc = (acc << 6) | u32::try_from(v).expect("a 6-bit value");
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).expect("a byte"));
        }
    }
    out
}

fn hex(bytes: &[u8], sep: &str) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(sep)
}

/// `haystack` holds neither the key (PEM, DER, base64 at any alignment, hex with or without
/// separators) nor the password.
#[track_caller]
fn assert_no_secrets(what: &str, haystack: &[u8], key_pem: &[u8]) {
    let body = text(haystack);
    assert!(
        !body.contains("PRIVATE KEY"),
        "{what} names a private key:\n{body}"
    );
    assert!(
        !body.contains(PASSWORD),
        "{what} holds the password:\n{body}"
    );
    let lines = pem_body(key_pem);
    let der = base64_decode(&lines.concat());
    let scalar = ec_private_scalar(&der);
    assert!(
        !lines.iter().any(|l| body.contains(l.as_str())),
        "{what} holds the key's base64:\n{body}"
    );
    for window in [&der[..], &scalar[..]] {
        assert!(
            !haystack.windows(window.len()).any(|w| w == window),
            "{what} holds the key's raw bytes"
        );
    }
    let lower = body.to_ascii_lowercase();
    for sep in ["", ":", " "] {
        assert!(
            !lower.contains(&hex(&scalar, sep)),
            "{what} holds the key in hex:\n{body}"
        );
    }
    // Base64 at any alignment: decode every long base64 run and look for the scalar.
    let mut run = String::new();
    for c in body.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=' {
            run.push(c);
            continue;
        }
        if run.len() >= 40 {
            for skip in 0..4 {
                let decoded = base64_decode(run.get(skip..).unwrap_or_default());
                assert!(
                    !decoded
                        .windows(scalar.len())
                        .any(|w| w == scalar.as_slice()),
                    "{what} holds the key in base64:\n{body}"
                );
            }
        }
        run.clear();
    }
}

/// alice's key encrypted with [`PASSWORD`] (`ENCRYPTED PRIVATE KEY`), beside her files.
fn encrypted_key(server: &RunningServer, files: &IdentityFiles, pw: &PasswordFile) -> PathBuf {
    let out = server.dir().join("alice-encrypted.key");
    run_tool(
        Command::new("openssl")
            .args(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in"])
            .arg(&files.key)
            .arg("-passout")
            .arg(format!("file:{}", pw.path().display()))
            .arg("-out")
            .arg(&out),
    )
    .expect("openssl pkcs8 -topk8");
    out
}

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

#[test]
fn cli_probe_exit_codes_json_and_a_report_without_secrets() {
    let binary = certdesk_binary();
    let pki = client_pki();
    let server = NginxSpec::new(&pki.ca_pem).start();
    let home = tempfile::tempdir().expect("a HOME");
    let ca_file = server.server_ca_path();
    let url = server.url.clone();

    // Accepted, with an encrypted key and its password file: exit 0.
    let alice: &IssuedIdentity = &pki.alice;
    let files = alice.write_to(server.dir(), "alice");
    let (alice_chain, alice_key) = (files.full_chain.clone(), files.key.clone());
    let pw = PasswordFile::new(PASSWORD);
    let key = encrypted_key(&server, &files, &pw);
    let report_path = home.path().join("alice-report.json");
    let ok = certdesk_probe(
        &binary,
        home.path(),
        &[
            os(&url),
            os("--cert"),
            files.full_chain.as_os_str(),
            os("--key"),
            key.as_os_str(),
            os("--password-file"),
            pw.path().as_os_str(),
            os("--ca-file"),
            ca_file.as_os_str(),
            os("--json"),
            os("--report-out"),
            report_path.as_os_str(),
        ],
    );
    assert_exit(&ok, 0);
    let stdout = text(&ok.stdout);
    assert!(
        stdout.contains(r#""verdict": "accepted""#),
        "JSON on stdout:\n{stdout}"
    );
    let report = std::fs::read(&report_path).expect("the report was written");
    assert!(
        text(&report).contains(r#""verdict": "accepted""#),
        "{}",
        text(&report)
    );
    assert!(text(&report).contains("CN=alice"), "{}", text(&report));
    for (what, bytes) in [
        ("the report", &report[..]),
        ("stdout", &ok.stdout[..]),
        ("stderr", &ok.stderr[..]),
    ] {
        assert_no_secrets(what, bytes, &alice.key_pem);
    }

    // Rejected (a CA nginx does not list), plain key: exit 1, the findings in the JSON.
    let stranger = &foreign_pki().stranger;
    let files = stranger.write_to(server.dir(), "stranger");
    let report_path = home.path().join("stranger-report.json");
    let refused = certdesk_probe(
        &binary,
        home.path(),
        &[
            os(&url),
            os("--cert"),
            files.full_chain.as_os_str(),
            os("--key"),
            files.key.as_os_str(),
            os("--ca-file"),
            ca_file.as_os_str(),
            os("--json"),
            os("--report-out"),
            report_path.as_os_str(),
        ],
    );
    assert_exit(&refused, 1);
    let stdout = text(&refused.stdout);
    assert!(
        stdout.contains(r#""verdict": "rejected""#) && stdout.contains("issuer_not_accepted"),
        "JSON on stdout:\n{stdout}"
    );
    let report = std::fs::read(&report_path).expect("the report was written");
    assert!(
        text(&report).contains(r#""code": "issuer_not_accepted""#),
        "{}",
        text(&report)
    );
    for (what, bytes) in [("the report", &report[..]), ("stdout", &refused.stdout[..])] {
        assert_no_secrets(what, bytes, &stranger.key_pem);
    }

    // `failed` (no --ca-file: the site's private CA is not trusted) is not a success: exit 1.
    let untrusted = certdesk_probe(
        &binary,
        home.path(),
        &[os(&url), os("--json"), os("--timeout"), os("5")],
    );
    assert_exit(&untrusted, 1);
    assert!(
        text(&untrusted.stdout).contains(r#""verdict": "failed""#),
        "{}",
        text(&untrusted.stdout)
    );

    // In text, the remedies core words for every front end get this CLI's way of acting on
    // them: trusting the site's CA, and choosing a certificate.
    let untrusted_text =
        certdesk_probe(&binary, home.path(), &[os(&url), os("--timeout"), os("5")]);
    assert_exit(&untrusted_text, 1);
    let shown = text(&untrusted_text.stdout);
    assert!(
        shown.contains("check again trusting it")
            && shown.contains("on the command line: certdesk probe URL --ca-file THE-CA.pem"),
        "{shown}"
    );
    let no_cert = certdesk_probe(
        &binary,
        home.path(),
        &[os(&url), os("--ca-file"), ca_file.as_os_str()],
    );
    assert_exit(&no_cert, 1);
    let shown = text(&no_cert.stdout);
    assert!(
        shown.contains("Choose one of your certificates for this site and check again")
            && shown.contains("on the command line: certdesk probe URL --identity ID")
            && !shown.contains("--ca-file THE-CA.pem"),
        "{shown}"
    );

    // Neither is `not_requested`: a page that never asks for a certificate.
    let open_site = ApacheSpec::new(&pki.ca_pem)
        .verify(ApacheVerify::PerLocation)
        .start();
    let open_ca = open_site.server_ca_path();
    let not_requested = certdesk_probe(
        &binary,
        home.path(),
        &[
            os(&open_site.url),
            os("--cert"),
            alice_chain.as_os_str(),
            os("--key"),
            alice_key.as_os_str(),
            os("--ca-file"),
            open_ca.as_os_str(),
            os("--json"),
        ],
    );
    assert_exit(&not_requested, 1);
    assert!(
        text(&not_requested.stdout).contains(r#""verdict": "not_requested""#),
        "{}",
        text(&not_requested.stdout)
    );

    // A usage error is exit 2, not a verdict.
    let bad_url = certdesk_probe(
        &binary,
        home.path(),
        &[os("http://127.0.0.1/"), os("--json")],
    );
    assert_exit(&bad_url, 2);
}

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(
                B64[usize::try_from((n >> (18 - 6 * i)) & 63).expect("index")],
            ));
        }
    }
    out
}

/// The leak check itself finds every form of the key it claims to look for.
#[test]
fn the_secret_check_finds_key_and_password_leaks() {
    let key_pem = &client_pki().alice.key_pem;
    let der = base64_decode(&pem_body(key_pem).concat());
    let scalar = ec_private_scalar(&der);
    let mut shifted = vec![0x30u8];
    shifted.extend_from_slice(&der);
    let colon_hex = scalar
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let leaks: Vec<(&str, Vec<u8>)> = vec![
        ("PEM", key_pem.clone()),
        ("raw DER", der.clone()),
        ("shifted base64", base64_encode(&shifted).into_bytes()),
        ("colon hex", colon_hex.into_bytes()),
        ("password", PASSWORD.as_bytes().to_vec()),
    ];
    for (form, leak) in leaks {
        let mut haystack = br#"{"verdict": "accepted", "x": ""#.to_vec();
        haystack.extend_from_slice(&leak);
        haystack.extend_from_slice(b"\"}");
        let caught = std::panic::catch_unwind(|| assert_no_secrets(form, &haystack, key_pem));
        assert!(caught.is_err(), "a leak as {form} went unnoticed");
    }
    assert_no_secrets("a clean report", br#"{"verdict": "accepted"}"#, key_pem);
}

/// Issue #12 (high): the path of a site address went raw onto the request line, so CR/LF
/// became extra header lines and extra requests. Now an address with a line break, a tab, a
/// space or credentials is refused before any connection (nginx logs nothing), and a check
/// sends exactly one request with the normalised, percent-encoded path.
#[test]
fn cli_probe_refuses_smuggling_addresses_and_sends_exactly_one_request() {
    let binary = certdesk_binary();
    let pki = client_pki();
    let server = NginxSpec::new(&pki.ca_pem).start();
    let home = tempfile::tempdir().expect("a HOME");
    let ca_file = server.server_ca_path();
    let files = pki.alice.write_to(server.dir(), "alice");
    let base = server.url.trim_end_matches('/').to_string();
    let probe = |url: &str| {
        certdesk_probe(
            &binary,
            home.path(),
            &[
                os(url),
                os("--cert"),
                files.full_chain.as_os_str(),
                os("--key"),
                files.key.as_os_str(),
                os("--ca-file"),
                ca_file.as_os_str(),
            ],
        )
    };

    for (url, says) in [
        (
            format!("{base}/a\r\nX-Injected: 1"),
            "control character (U+000D)",
        ),
        (
            format!("{base}/ HTTP/1.1\r\nHost: x\r\n\r\nGET /smuggled"),
            "space at position",
        ),
        (format!("{base}/a\tb"), "control character (U+0009)"),
        (format!("{base}/a b"), "space at position"),
        (
            base.replace("https://", "https://alice:S3cret@"),
            "user name or password",
        ),
    ] {
        let out = probe(&url);
        assert_exit(&out, 2);
        let stderr = text(&out.stderr);
        assert!(stderr.contains(says), "{url:?}: {stderr}");
        assert!(
            !stderr.contains('\r') && !stderr.contains("S3cret"),
            "{stderr:?}"
        );
    }
    assert_eq!(
        server.logged_requests(0),
        Vec::<String>::new(),
        "a refused address must not reach the server"
    );

    // One check, one request; characters that may not stand raw on a request line are
    // percent-encoded, the fragment is never sent.
    let out = probe(&format!("{base}/a\"b<c>?q=1#frag"));
    assert_exit(&out, 0);
    assert_eq!(
        server.logged_requests(1),
        vec!["GET /a%22b%3Cc%3E?q=1 HTTP/1.1".to_string()]
    );
}

/// Issue #13: a German user reads the verdict of a rejected certificate, what was found and
/// what to do in German (the real nginx refuses a certificate from a CA it does not list);
/// `--json` keeps the codes and carries the German text.
#[test]
fn a_german_locale_gets_the_verdict_and_the_remedy_in_german() {
    let binary = certdesk_binary();
    let pki = client_pki();
    let server = NginxSpec::new(&pki.ca_pem).start();
    let home = tempfile::tempdir().expect("a HOME");
    let ca_file = server.server_ca_path();
    let stranger = &foreign_pki().stranger;
    let files = stranger.write_to(server.dir(), "stranger");
    let args = [
        os(&server.url),
        os("--cert"),
        files.full_chain.as_os_str(),
        os("--key"),
        files.key.as_os_str(),
        os("--ca-file"),
        ca_file.as_os_str(),
    ];
    let shown = certdesk_probe_german(&binary, home.path(), &args);
    assert_exit(&shown, 1);
    let out = text(&shown.stdout);
    let host = "127.0.0.1";
    for german in [
        format!("{host} hat Ihr Zertifikat nicht akzeptiert."),
        "Problem: Die Website akzeptiert nur Zertifikate von".into(),
        "Was zu tun ist: Holen Sie sich ein Zertifikat von einer der Zertifizierungsstellen".into(),
        "Zertifikat gesendet:".into(),
        "(Code: issuer_not_accepted)".into(),
    ] {
        assert!(out.contains(&german), "missing {german:?} in:\n{out}");
    }
    for english in [
        "did not accept",
        "what to do",
        "The site",
        "certificate sent",
    ] {
        assert!(!out.contains(english), "English {english:?} in:\n{out}");
    }

    let mut json_args = args.to_vec();
    json_args.push(os("--json"));
    let json = certdesk_probe_german(&binary, home.path(), &json_args);
    assert_exit(&json, 1);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(report["verdict"], "rejected");
    assert_eq!(
        report["sentence"],
        format!("{host} hat Ihr Zertifikat nicht akzeptiert.")
    );
    let finding = report["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["code"] == "issuer_not_accepted"))
        .unwrap_or_else(|| panic!("no issuer_not_accepted finding: {report}"));
    assert!(
        finding["remedy"]
            .as_str()
            .is_some_and(|r| r.starts_with("Holen Sie sich ein Zertifikat")),
        "{finding}"
    );
}
