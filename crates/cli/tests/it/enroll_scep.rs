//! `certdesk enroll scep`, `enroll resume` and `renew` with the real binary against a SCEP
//! server we did not write: micromdm's `scepserver` from Debian's `scep` package (see
//! certdesk_testkit::scep). What it issues is read back with `openssl verify` against the
//! server's own CA; refusals are checked for their message and hint, and for the request being
//! kept and a retry working.

use std::path::Path;

use crate::common::{arg, openssl, Sandbox};
use certdesk_testkit::scep::ScepServer;
use serde_json::Value;

const CHALLENGE: &str = "scep-challenge-Q7v";

struct World {
    scep: ScepServer,
    sb: Sandbox,
    challenge_file: String,
}

fn world() -> World {
    let scep = ScepServer::start(CHALLENGE);
    let sb = Sandbox::new();
    let challenge_file = arg(&sb.secret_file("challenge", CHALLENGE)).to_string();
    World {
        scep,
        sb,
        challenge_file,
    }
}

impl World {
    fn rsa_request(&self, cn: &str) -> String {
        self.sb
            .new_request(&format!("CN={cn},O=Example Corp"), &["--key", "rsa-2048"])
    }

    /// `enroll scep ID --url URL --challenge-file F --ca-fingerprint FP EXTRA…`.
    fn enroll(&self, id: &str, challenge_file: &str, extra: &[&str]) -> crate::common::Run {
        let url = self.scep.url();
        let mut args = vec![
            "enroll",
            "scep",
            id,
            "--url",
            &url,
            "--challenge-file",
            challenge_file,
            "--ca-fingerprint",
            self.scep.ca_sha256(),
        ];
        args.extend_from_slice(extra);
        self.sb.run(&args)
    }

    fn show(&self, id: &str) -> Value {
        self.sb.run(&["--json", "identity", "show", id]).ok().json()
    }

    /// The issued certificate, verified by openssl against the SCEP CA; returns its PEM.
    #[track_caller]
    fn verified_cert(&self, id: &str) -> String {
        let shown = self.show(id);
        assert_eq!(shown["summary"]["status"], "issued", "{shown}");
        let cert = shown["certificate_pem"]
            .as_str()
            .expect("certificate")
            .to_string();
        let file = self.sb.file(&format!("{id}.pem"), cert.as_bytes());
        let verified = openssl(&[
            "verify",
            "-CAfile",
            arg(&self.scep.ca_path()),
            "-purpose",
            "sslclient",
            arg(&file),
        ]);
        assert!(verified.contains("OK"), "{verified}");
        cert
    }

    /// The challenge is nowhere in the wallet (state, history, records).
    #[track_caller]
    fn assert_challenge_not_on_disk(&self) {
        fn walk(dir: &Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = entry.path();
                if p.is_dir() {
                    walk(&p, found);
                } else if std::fs::read(&p).is_ok_and(|b| {
                    b.windows(CHALLENGE.len())
                        .any(|w| w == CHALLENGE.as_bytes())
                }) {
                    found.push(p.display().to_string());
                }
            }
        }
        let mut found = Vec::new();
        walk(&self.sb.wallet(), &mut found);
        assert!(found.is_empty(), "the challenge is on disk in {found:?}");
    }
}

fn openssl_text(pem: &str, what: &str) -> String {
    certdesk_testkit::run_tool_with_stdin(
        std::process::Command::new("openssl").args(["x509", "-noout", what]),
        pem.as_bytes(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .stdout_text()
}

#[test]
fn scep_enrollment_needs_the_confirmed_ca_then_issues_a_certificate_openssl_verifies() {
    let w = world();
    let id = w.rsa_request("Alice Scep");
    // Over plain http, without a fingerprint: the CA is shown, not used.
    let url = w.scep.url();
    let refused =
        w.sb.run(&[
            "enroll",
            "scep",
            &id,
            "--url",
            &url,
            "--challenge-file",
            &w.challenge_file,
        ])
        .exit(2);
    assert!(
        refused.error().contains(w.scep.ca_sha256()),
        "the fingerprint openssl computes is shown: {refused}"
    );
    assert!(
        refused
            .hint()
            .contains(&format!("--ca-fingerprint {}", w.scep.ca_sha256())),
        "{refused}"
    );
    assert_eq!(w.sb.status(&id), "pending");
    // A fingerprint that is not the CA's: refused, with both fingerprints.
    let other = "AB:".repeat(31) + "AB";
    let mismatch =
        w.sb.run(&[
            "enroll",
            "scep",
            &id,
            "--url",
            &url,
            "--challenge-file",
            &w.challenge_file,
            "--ca-fingerprint",
            &other,
        ])
        .exit(2);
    assert!(
        mismatch
            .error()
            .contains("not the CA certdesk was told to trust")
            && mismatch.error().contains(w.scep.ca_sha256()),
        "{mismatch}"
    );
    assert!(mismatch.hint().contains("do not go on"), "{mismatch}");
    assert_eq!(w.sb.status(&id), "pending");

    // With the fingerprint: issued, and openssl verifies it against the SCEP CA.
    let out = w.enroll(&id, &w.challenge_file, &["--json"]).ok().json();
    assert_eq!(out["result"], "issued", "{out}");
    let cert = w.verified_cert(&id);
    let subject = openssl_text(&cert, "-subject");
    assert!(subject.contains("Alice Scep"), "{subject}");
    // The chain holds the SCEP CA.
    let chain = w.show(&id)["chain_pem"].clone();
    let ca_pem = String::from_utf8_lossy(&std::fs::read(w.scep.ca_path()).expect("ca"))
        .trim()
        .to_string();
    assert!(
        chain
            .as_array()
            .expect("chain")
            .iter()
            .any(|c| c.as_str().map(str::trim) == Some(&ca_pem)),
        "{chain}"
    );
    w.assert_challenge_not_on_disk();
}

#[test]
fn a_ca_file_is_checked_by_its_fingerprint() {
    let w = world();
    let id = w.rsa_request("Carol Scep");
    let ca = w.scep.ca_path();
    let url = w.scep.url();
    w.sb.run(&[
        "enroll",
        "scep",
        &id,
        "--url",
        &url,
        "--challenge-file",
        &w.challenge_file,
        "--ca-file",
        arg(&ca),
    ])
    .ok();
    w.verified_cert(&id);
}

#[test]
fn a_wrong_challenge_and_a_refused_request_get_bad_request_and_keep_the_request() {
    let w = world();
    let id = w.rsa_request("Bob Scep");
    let wrong = arg(&w.sb.secret_file("wrong", "not-the-challenge")).to_string();
    let refused = w.enroll(&id, &wrong, &[]).exit(2);
    assert!(refused.error().contains("badRequest"), "{refused}");
    assert!(
        refused
            .hint()
            .contains("ask your help desk for a new challenge"),
        "{refused}"
    );
    assert!(
        w.scep.log().contains("invalid challenge"),
        "{}",
        w.scep.log()
    );
    assert_eq!(w.sb.status(&id), "pending");
    // The kept request still verifies, and the retry with the right challenge works.
    certdesk_testkit::openssl_req_verify(&w.sb.export_csr(&id)).unwrap_or_else(|e| panic!("{e}"));
    w.enroll(&id, &w.challenge_file, &[]).ok();
    w.verified_cert(&id);

    // The server's verifier refuses this subject: the same message, the request kept.
    let refuse = w.rsa_request("please refuse me");
    let out = w
        .enroll(&refuse, &w.challenge_file, &["--json"])
        .exit(2)
        .json();
    let message = out["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("badRequest"), "{out}");
    assert_eq!(out["error"]["kind"], "server_refused", "{out}");
    assert!(
        w.scep.log().contains("CSR verify failed"),
        "{}",
        w.scep.log()
    );
    assert_eq!(w.sb.status(&refuse), "pending");
    w.assert_challenge_not_on_disk();
}

#[test]
fn an_ecdsa_request_is_told_to_use_rsa_and_a_wrong_path_is_no_scep_service() {
    let w = world();
    let ec = w.sb.new_request("CN=Eve Scep", &["--key", "ec-p256"]);
    let out = w.enroll(&ec, &w.challenge_file, &[]).exit(2);
    assert!(out.error().contains("SCEP needs an RSA key"), "{out}");
    assert!(out.hint().contains("--key rsa-2048"), "{out}");
    assert_eq!(w.sb.status(&ec), "pending");

    let id = w.rsa_request("Dan Scep");
    let wrong = format!("http://127.0.0.1:{}/not-scep", w.scep.port());
    let out =
        w.sb.run(&[
            "enroll",
            "scep",
            &id,
            "--url",
            &wrong,
            "--challenge-file",
            &w.challenge_file,
            "--ca-fingerprint",
            w.scep.ca_sha256(),
        ])
        .exit(2);
    assert!(out.error().contains("no SCEP service"), "{out}");
    assert!(out.hint().contains("mscep.dll"), "{out}");
    assert_eq!(w.sb.status(&id), "pending");
}

#[test]
fn renew_sends_a_renewal_request_with_the_same_key() {
    let w = world();
    let id = w.rsa_request("Rita Scep");
    w.enroll(&id, &w.challenge_file, &[]).ok();
    let first = w.verified_cert(&id);
    // micromdm's scepserver checks the challenge on RenewalReq too.
    let out =
        w.sb.run(&["--json", "renew", &id, "--password-file", &w.challenge_file])
            .ok()
            .json();
    assert_eq!(out["renewal"]["result"], "issued", "{out}");
    let second = w.verified_cert(&id);
    assert_ne!(
        openssl_text(&first, "-serial"),
        openssl_text(&second, "-serial")
    );
    assert_eq!(
        openssl_text(&first, "-pubkey"),
        openssl_text(&second, "-pubkey"),
        "renewal keeps the key"
    );
    let state: Value = serde_json::from_slice(
        &std::fs::read(
            w.sb.wallet()
                .join("identities")
                .join(&id)
                .join("enrollment.json"),
        )
        .expect("enrollment.json"),
    )
    .expect("json");
    assert_eq!(state["operation"], "renew", "{state}");
    assert_eq!(
        state["scep"]["renewal"], true,
        "RenewalReq was sent: {state}"
    );
    w.assert_challenge_not_on_disk();
}

/// PENDING and NDES's two RA certificates cannot come from scepserver: these use the testkit's
/// SCEP test responder (see certdesk_testkit::scep_responder), whose CA and RA certificates
/// and issued certificates come from openssl.
mod responder {
    use super::*;
    use certdesk_testkit::scep_responder::{ResponderMode, ScepResponder};

    fn state(sb: &Sandbox, id: &str) -> Value {
        serde_json::from_slice(
            &std::fs::read(
                sb.wallet()
                    .join("identities")
                    .join(id)
                    .join("enrollment.json"),
            )
            .expect("enrollment.json"),
        )
        .expect("json")
    }

    #[track_caller]
    fn verify(sb: &Sandbox, id: &str, ca: &Path) {
        let shown = sb.run(&["--json", "identity", "show", id]).ok().json();
        assert_eq!(shown["summary"]["status"], "issued", "{shown}");
        let cert = shown["certificate_pem"].as_str().expect("certificate");
        let file = sb.file(&format!("{id}.pem"), cert.as_bytes());
        let verified = openssl(&["verify", "-CAfile", arg(ca), arg(&file)]);
        assert!(verified.contains("OK"), "{verified}");
    }

    #[test]
    fn a_pending_scep_request_is_polled_by_enroll_resume() {
        let r = ScepResponder::start(ResponderMode::PendingThenIssue);
        let sb = Sandbox::new();
        let challenge = arg(&sb.secret_file("challenge", CHALLENGE)).to_string();
        let id = sb.new_request("CN=Paula Pending", &["--key", "rsa-2048"]);
        let url = r.url();
        let ca = r.ca_path();
        let out = sb
            .run(&[
                "--json",
                "enroll",
                "scep",
                &id,
                "--url",
                &url,
                "--challenge-file",
                &challenge,
                "--ca-file",
                arg(&ca),
            ])
            .ok()
            .json();
        assert_eq!(out["result"], "pending", "{out}");
        assert_eq!(sb.status(&id), "pending");
        let recorded = state(&sb, &id);
        assert_eq!(recorded["status"], "pending", "{recorded}");
        assert_eq!(recorded["scep"]["pending"], true, "{recorded}");
        assert!(
            !recorded.to_string().contains(CHALLENGE),
            "the challenge is in the pending state"
        );
        // A later process (nothing but the wallet carried over) polls with CertPoll.
        let out = sb.run(&["--json", "enroll", "resume", &id]).ok().json();
        assert_eq!(out["result"], "issued", "{out}");
        verify(&sb, &id, &ca);
        assert_eq!(
            r.log(),
            [
                "messageType 19 -> pkiStatus 3",
                "messageType 20 -> pkiStatus 0"
            ]
        );
    }

    #[test]
    fn ndes_two_ra_certificates_encrypt_to_the_key_encipherment_one() {
        let r = ScepResponder::start(ResponderMode::Issue);
        let sb = Sandbox::new();
        let challenge = arg(&sb.secret_file("challenge", CHALLENGE)).to_string();
        let id = sb.new_request("CN=Nadia NDES", &["--key", "rsa-3072"]);
        let url = r.url();
        let ca = r.ca_path();
        sb.run(&[
            "enroll",
            "scep",
            &id,
            "--url",
            &url,
            "--challenge-file",
            &challenge,
            "--ca-file",
            arg(&ca),
        ])
        .ok();
        verify(&sb, &id, &ca);
        // The responder decrypted with the keyEncipherment RA's key and signed with the
        // digitalSignature one; certdesk says which it used.
        let note = state(&sb, &id)["scep"]["note"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            note.contains("encrypted to the RA certificate CN=Test NDES RA keyEncipherment")
                && note.contains("signed by CN=Test NDES RA digitalSignature"),
            "{note}"
        );
        assert_eq!(r.log(), ["messageType 19 -> pkiStatus 0"]);
    }
}

/// A SCEP server that answers PKIOperation with something that is not a CertRep (the testkit
/// responder's hostile modes: no real package does these on purpose): each its own message,
/// the request kept, and the retry against a working server issues the certificate.
mod hostile {
    use super::*;
    use certdesk_testkit::scep_responder::{ResponderMode, ScepResponder};

    fn send(sb: &Sandbox, id: &str, r: &ScepResponder, challenge: &str) -> crate::common::Run {
        let url = r.url();
        let ca = r.ca_path();
        sb.run(&[
            "enroll",
            "scep",
            id,
            "--url",
            &url,
            "--challenge-file",
            challenge,
            "--ca-file",
            arg(&ca),
            "--timeout",
            "1",
        ])
    }

    #[test]
    fn html_empty_500_and_silence_each_have_their_message_and_the_retry_works() {
        let sb = Sandbox::new();
        let challenge = arg(&sb.secret_file("challenge", CHALLENGE)).to_string();
        let id = sb.new_request("CN=Hugo Hostile", &["--key", "rsa-2048"]);
        let cases = [
            (ResponderMode::Html, "found an HTML page titled \"Sign in\""),
            (ResponderMode::Empty, "empty"),
            (ResponderMode::Error500, "database locked"),
            (ResponderMode::Hang, "did not answer within 1 s"),
        ];
        let mut seen = Vec::new();
        for (mode, wanted) in cases {
            let r = ScepResponder::start(mode);
            let started = std::time::Instant::now();
            let out = send(&sb, &id, &r, &challenge).exit(2);
            assert!(
                started.elapsed() < std::time::Duration::from_secs(15),
                "{mode:?} took {:?}",
                started.elapsed()
            );
            let message = out.error();
            assert!(message.contains(wanted), "{mode:?}: {out}");
            assert!(!out.hint().is_empty(), "{mode:?} has no hint: {out}");
            assert_eq!(sb.status(&id), "pending", "{mode:?}");
            seen.push(message);
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "{seen:#?}");
        certdesk_testkit::openssl_req_verify(&sb.export_csr(&id)).unwrap_or_else(|e| panic!("{e}"));
        let good = ScepResponder::start(ResponderMode::Issue);
        send(&sb, &id, &good, &challenge).ok();
        assert_eq!(sb.status(&id), "issued");
    }
}

#[test]
fn a_scep_profile_names_the_server_and_its_ca() {
    let w = world();
    let profile = format!(
        "format = 1\nname = \"Staff SCEP\"\nsupport = \"help@example.org\"\nallowed_keys = [\"rsa-2048\"]\n\n[enroll]\nmethod = \"scep\"\nurl = \"{}\"\nca_sha256 = \"{}\"\n\n[subject]\norganization = \"Example Corp\"\n",
        w.scep.url(),
        w.scep.ca_sha256()
    );
    let file = w.sb.file("scep.toml", profile.as_bytes());
    w.sb.run(&["profile", "check", arg(&file)]).ok();
    let out =
        w.sb.run(&[
            "--json",
            "request",
            "new",
            "--profile",
            arg(&file),
            "--name",
            "Pat Profile",
            "--device",
            "laptop",
        ])
        .ok()
        .json();
    let id = out["id"].as_str().expect("id").to_string();
    // No --url, no fingerprint: both come from the profile.
    let run =
        w.sb.run(&["enroll", "scep", &id, "--challenge-file", &w.challenge_file])
            .ok();
    assert!(
        run.stdout
            .contains("Using the help-desk profile \"Staff SCEP\""),
        "{run}"
    );
    let cert = w.verified_cert(&id);
    let subject = openssl_text(&cert, "-subject");
    assert!(
        subject.contains("Pat Profile") && subject.contains("Example Corp"),
        "{subject}"
    );
}

/// A server that offers neither AES nor POSTPKIOperation (the testkit responder's `Old` mode):
/// the request goes by GET with the base64 message, enveloped with 3DES (openssl opens it on the
/// responder's side), and the certificate arrives.
#[test]
fn an_old_server_gets_the_message_by_get_encrypted_with_3des() {
    use certdesk_testkit::scep_responder::{ResponderMode, ScepResponder};
    let r = ScepResponder::start(ResponderMode::Old);
    let sb = Sandbox::new();
    let challenge = arg(&sb.secret_file("challenge", CHALLENGE)).to_string();
    let id = sb.new_request("CN=Otto Old", &["--key", "rsa-2048"]);
    let url = r.url();
    let ca = r.ca_path();
    sb.run(&[
        "enroll",
        "scep",
        &id,
        "--url",
        &url,
        "--challenge-file",
        &challenge,
        "--ca-file",
        arg(&ca),
    ])
    .ok();
    assert_eq!(sb.status(&id), "issued");
    assert_eq!(
        r.log(),
        ["PKIOperation by GET", "messageType 19 -> pkiStatus 0"]
    );
    let envelope = std::fs::read_dir(r.work_dir())
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n == "env-1.der"))
        .expect("the request's envelope");
    let printed = openssl(&[
        "cms",
        "-cmsout",
        "-inform",
        "DER",
        "-print",
        "-in",
        arg(&envelope),
    ]);
    assert!(printed.contains("des-ede3-cbc"), "{printed}");
}
