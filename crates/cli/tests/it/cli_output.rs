//! Exact output and exit codes: what scripts and people read.

use crate::common::{arg, Sandbox};
use certdesk_testkit::{OpensslCa, SignOpts};
use serde_json::json;

const NOT_FOUND_HINT: &str = "run `certdesk identity list` to see the identities";

#[test]
fn identity_list_on_an_empty_wallet() {
    let sb = Sandbox::new();
    let run = sb.run(&["identity", "list"]).ok();
    assert_eq!(
        run.stdout,
        "No identities yet. Create one with: certdesk request new --subject \"CN=Your Name\"\n"
    );
    assert_eq!(run.stderr, "");
    let run = sb.run(&["--json", "identity", "list"]).ok();
    assert_eq!(run.stdout, "[]\n");
    assert_eq!(run.stderr, "");
    assert!(!sb.wallet().exists(), "listing created the wallet");
}

#[test]
fn identity_list_table() {
    let sb = Sandbox::new();
    let ca = OpensslCa::new("Table");
    let ada = sb.new_request("CN=Ada Lovelace,O=Example Corp", &[]);
    let bart = sb.new_request(
        "CN=Bart",
        &[
            "--label",
            "Bartholomew Fitzgerald-Worthington",
            "--key",
            "rsa-2048",
        ],
    );
    let signed = ca.sign_csr(&sb.export_csr(&ada), SignOpts::default());
    let reply = sb.file("reply.pem", &signed.full_chain_pem());
    sb.run(&["import", arg(&reply)]).ok();

    let run = sb.run(&["identity", "list"]).ok();
    let expected = [
        "ID                LABEL                     KEY         STATUS".to_string(),
        format!("{ada}  Ada Lovelace              ec-p256     ready, expires in 364 days"),
        format!("{bart}  Bartholomew Fitzgerald-…  rsa-2048    waiting for certificate"),
    ]
    .join("\n")
        + "\n";
    assert_eq!(run.stdout, expected, "{run}");
    assert_eq!(run.stderr, "");
}

#[test]
fn request_new_prints_only_the_id_on_stdout() {
    let sb = Sandbox::new();
    let run = sb
        .run(&["request", "new", "--subject", "CN=Ada Lovelace"])
        .ok();
    let id = run.stdout.trim_end_matches('\n');
    assert_eq!(run.stdout, format!("{id}\n"), "{run}");
    assert!(
        id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{run}"
    );
    assert!(
        run.stderr.contains(&format!(
            "Next: certdesk request export {id} --out request.csr"
        )),
        "{run}"
    );
    assert_eq!(sb.status(id), "pending");
}

#[test]
fn unknown_identity_text_and_json() {
    let sb = Sandbox::new();
    sb.new_request("CN=Somebody", &[]);
    let wallet = sb.wallet();
    let message = format!(
        "no identity deadbeefcafe in the wallet at {}",
        wallet.display()
    );

    let run = sb.run(&["identity", "show", "deadbeefcafe"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!("error: {message}\nhint: {NOT_FOUND_HINT}\n")
    );

    let run = sb.run(&["--json", "identity", "show", "deadbeefcafe"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert_eq!(run.stderr, "", "{run}");
    assert_eq!(
        run.json(),
        json!({"error": {"kind": "not_found", "message": message, "hint": NOT_FOUND_HINT}})
    );
}

#[test]
fn inspect_exit_codes_follow_client_auth_fitness() {
    let sb = Sandbox::new();
    let ca = OpensslCa::new("Inspect");

    let server = ca.issue_server_identity(&["server.example"]);
    let path = sb.file("server.pem", &server.cert.cert_pem);
    let run = sb.run(&["inspect", arg(&path)]).exit(1);
    assert!(
        run.stdout.starts_with("File type: PEM certificate(s)\n"),
        "{run}"
    );
    assert!(
        run.stdout.contains("  client authentication: NOT fit\n"),
        "{run}"
    );
    assert!(
        run.stdout.contains(
            "    - the certificate is not made for client authentication (it allows only: server authentication)\n"
        ),
        "{run}"
    );
    let run = sb.run(&["--json", "inspect", arg(&path)]).exit(1);
    let report = run.json();
    assert_eq!(report["kind"], "certificates", "{run}");
    assert_eq!(
        report["certificates"][0]["fit_for_client_auth"], false,
        "{run}"
    );
    assert_eq!(
        report["certificates"][0]["problems"][0]["code"], "no_client_auth_eku",
        "{run}"
    );

    let expired = ca.issue_client_identity("Old Client", SignOpts::expired());
    let path = sb.file("expired.pem", &expired.cert.cert_pem);
    let run = sb.run(&["inspect", arg(&path)]).exit(1);
    assert!(
        run.stdout.contains("  client authentication: NOT fit\n"),
        "{run}"
    );

    let good = ca.issue_client_identity("Good Client", SignOpts::default());
    let path = sb.file("good.pem", &good.cert.full_chain_pem());
    let run = sb.run(&["inspect", arg(&path)]).ok();
    assert!(
        run.stdout.contains("  client authentication: fit\n"),
        "{run}"
    );
    assert!(run.stdout.contains("CA certificate 2 of 2\n"), "{run}");
}

/// `--key rsa-2048` is what the JSON should say too (it is what `identity list` prints).
#[test]
fn json_key_type_uses_the_cli_spelling() {
    let sb = Sandbox::new();
    let run = sb
        .run(&[
            "--json",
            "request",
            "new",
            "--subject",
            "CN=Rita Rsa",
            "--key",
            "rsa-2048",
        ])
        .ok();
    let created = run.json();
    let id = created["id"].as_str().expect("id").to_string();
    let table = sb.run(&["identity", "list"]).ok();
    assert!(table.stdout.contains("rsa-2048"), "{table}");
    let listed = sb.list();
    assert_eq!(
        (created["key_type"].clone(), listed[0]["key_type"].clone()),
        (json!("rsa-2048"), json!("rsa-2048")),
        "request new --json / identity list --json for {id}"
    );
}

/// With `--json`, a command-line mistake is an error like any other: JSON on stdout.
#[test]
fn json_usage_errors_are_json() {
    let sb = Sandbox::new();
    let run = sb.run(&[
        "--json",
        "request",
        "new",
        "--subject",
        "CN=x",
        "--key",
        "ed25519",
    ]);
    assert_eq!(run.code, Some(2), "{run}");
    let body: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("--json usage error is not JSON on stdout ({e}):\n{run}"));
    assert_eq!(body["error"]["kind"], "usage", "{run}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ed25519")),
        "{run}"
    );
}

/// A reply file that does not exist: an I/O error with a hint, like every other error.
#[test]
fn missing_input_file_has_a_hint() {
    let sb = Sandbox::new();
    let missing = sb.path("not-there.pem");
    let run = sb.run(&["import", arg(&missing)]);
    assert!(
        run.error()
            .starts_with(&format!("could not read {}", missing.display())),
        "{run}"
    );
    assert!(run.stderr.contains("\nhint: "), "no hint line:\n{run}");
    let run = sb.run(&["--json", "import", arg(&missing)]);
    assert_eq!(run.code, Some(2), "{run}");
    let body = run.json();
    assert_eq!(body["error"]["kind"], "io", "{run}");
    assert!(body["error"]["hint"].is_string(), "{run}");
}
