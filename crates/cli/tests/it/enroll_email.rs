//! `certdesk request email`: the .eml is read by Python's `email` package, its attachment by
//! `openssl req -verify`, its fingerprint recomputed with `openssl req -outform DER | sha256sum`,
//! and the administrator's reply (signed by `openssl ca`) goes back through `certdesk import`.

use crate::common;
use std::process::Command;

use crate::common::{arg, Sandbox};
use certdesk_testkit::{run_tool, run_tool_with_stdin, OpensslCa, SignOpts};
use serde_json::Value;

/// Parses an .eml with python3's `email` package (policy.default) and reports what a mail
/// program would show: headers, the text, and each attachment (base64).
const PARSE_EML: &str = r#"
import base64, email, email.policy, json, sys
with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
out = {"to": msg["To"], "subject": msg["Subject"], "multipart": msg.is_multipart(),
       "defects": [str(d) for d in msg.defects], "text": None, "attachments": []}
for part in msg.walk():
    if part.is_multipart():
        continue
    out["defects"] += [str(d) for d in part.defects]
    if part.get_content_disposition() == "attachment":
        out["attachments"].append({"filename": part.get_filename(),
                                   "type": part.get_content_type(),
                                   "data": base64.b64encode(part.get_payload(decode=True)).decode()})
    elif part.get_content_type() == "text/plain":
        out["text"] = part.get_content()
print(json.dumps(out))
"#;

fn b64decode(text: &str) -> Vec<u8> {
    run_tool_with_stdin(
        Command::new("openssl").args(["base64", "-d", "-A"]),
        text.as_bytes(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .stdout
}

#[test]
fn the_eml_parses_carries_the_verifiable_request_and_its_fingerprint_and_the_reply_imports() {
    let sb = Sandbox::new();
    let id = sb.new_request(
        "CN=Carol Example,O=Example Corp",
        &["--email", "carol@example.org"],
    );
    let eml = sb.path("request.eml");
    let out = sb
        .run(&[
            "--json",
            "request",
            "email",
            &id,
            "--out",
            arg(&eml),
            "--to",
            "admin@example.org",
        ])
        .ok()
        .json();
    assert!(
        out["mailto"]
            .as_str()
            .is_some_and(|m| m.starts_with("mailto:admin%40example.org?")
                || m.starts_with("mailto:admin@example.org?")),
        "{out}"
    );
    let raw = common::read(&eml);
    assert!(!String::from_utf8_lossy(&raw).contains("PRIVATE KEY"));
    // Issue #12: the request may carry a challengePassword, so the .eml is owner-only (0644
    // before).
    assert_eq!(common::mode(&eml), 0o600);

    let parsed: Value = serde_json::from_slice(
        &run_tool(Command::new("python3").args(["-c", PARSE_EML, arg(&eml)]))
            .unwrap_or_else(|e| panic!("python3 email could not read the .eml: {e}"))
            .stdout,
    )
    .expect("the parser prints JSON");
    assert_eq!(parsed["defects"], Value::Array(vec![]), "{parsed}");
    assert_eq!(parsed["to"], "admin@example.org");
    assert_eq!(parsed["multipart"], true);
    assert!(
        parsed["subject"]
            .as_str()
            .is_some_and(|s| s.contains("Carol Example")),
        "{parsed}"
    );
    let attachments = parsed["attachments"].as_array().expect("attachments");
    assert_eq!(attachments.len(), 1, "{parsed}");
    assert_eq!(attachments[0]["filename"], "request.csr");
    let csr = b64decode(attachments[0]["data"].as_str().expect("data"));

    // openssl accepts the attachment as a self-signed request with the subject asked for.
    let text = certdesk_testkit::openssl_req_verify(&csr)
        .unwrap_or_else(|e| panic!("openssl req -verify refused the attachment: {e}"));
    assert!(text.contains("Carol Example"), "{text}");
    // It is the waiting request of this identity.
    assert_eq!(csr, sb.export_csr(&id));

    // The fingerprint in the text is sha256sum of the DER request.
    let der = run_tool_with_stdin(
        Command::new("openssl").args(["req", "-outform", "DER"]),
        &csr,
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .stdout;
    let sum = run_tool_with_stdin(&mut Command::new("sha256sum"), &der)
        .unwrap_or_else(|e| panic!("{e}"))
        .stdout_text();
    let expected = sum.split_whitespace().next().expect("a hash").to_string();
    assert_eq!(expected.len(), 64);
    let body = parsed["text"].as_str().expect("a text part");
    let line = body
        .lines()
        .find(|l| l.contains("SHA-256"))
        .unwrap_or_else(|| panic!("no SHA-256 line in:\n{body}"));
    let shown: String = line
        .split_once(':')
        .map(|(_, v)| v)
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>()
        .to_lowercase();
    assert_eq!(shown, expected, "{line}");
    assert_eq!(
        out["request_sha256"]
            .as_str()
            .expect("request_sha256")
            .replace(':', "")
            .to_lowercase(),
        expected
    );

    // The administrator signs it with openssl; the reply imports, matched to the waiting key.
    let ca = OpensslCa::new("Mail Admin");
    let signed = ca.sign_csr(&csr, SignOpts::default());
    let reply = sb.file("reply.crt", &signed.full_chain_pem());
    sb.run(&["import", arg(&reply)]).ok();
    assert_eq!(sb.status(&id), "issued");
}

#[test]
fn a_bad_recipient_is_refused_and_nothing_is_written() {
    let sb = Sandbox::new();
    let id = sb.new_request("CN=Carol Example", &[]);
    let eml = sb.path("request.eml");
    let run = sb.run(&[
        "request",
        "email",
        &id,
        "--out",
        arg(&eml),
        "--to",
        "admin at example",
    ]);
    assert!(run.error().contains("is not an email address"), "{run}");
    run.hint();
    assert!(!eml.exists());
    assert_eq!(sb.status(&id), "pending");
}
