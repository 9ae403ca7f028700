//! SCEP messages (RFC 8894) built by certdesk-core, read back by openssl and answered by
//! micromdm's `scepserver` (certdesk_testkit::scep), and that server's real CertRep checked
//! against the wrong expectations: each refusal has its own message.

use std::process::Command;

use certdesk_core::csr::{build_csr, CsrSpec, SubjectSpec};
use certdesk_core::enroll::scep::{self, CertRep, Expect, Outgoing, ScepProblem, Signer};
use certdesk_core::key::{KeySpec, PrivateKey};
use certdesk_core::secret::SecretString;
use certdesk_core::transport::{self, HttpRequest};
use certdesk_core::Error;
use certdesk_testkit::run_tool;
use certdesk_testkit::scep::ScepServer;

const CHALLENGE: &str = "core-challenge-3kd";

fn get(url: String) -> Vec<u8> {
    let r = transport::send(&HttpRequest::get(url)).expect("GET");
    assert_eq!(r.status, 200, "{}", r.excerpt());
    r.body
}

fn problem(e: Error) -> (ScepProblem, String) {
    let text = e.to_string();
    match e {
        Error::ScepReply { problem, .. } => (problem, text),
        other => panic!("expected a ScepReply error, got {other:?}"),
    }
}

#[test]
fn scep_messages_are_read_by_openssl_and_scepservers_answer_is_checked() {
    let server = ScepServer::start(CHALLENGE);
    let base = server.url();
    let caps = scep::parse_caps(&get(scep::operation_url(&base, "GetCACaps", None)));
    assert!(caps.aes && caps.post && caps.renewal, "{caps:?}");
    let ca = scep::parse_ca_certs(&get(scep::operation_url(&base, "GetCACert", None)), &base)
        .expect("GetCACert");
    assert_eq!(scep::fingerprint(&ca.ca), server.ca_sha256());

    let key = PrivateKey::generate(KeySpec::Rsa2048).expect("key");
    let csr = build_csr(
        &key,
        &CsrSpec {
            subject: SubjectSpec::with_common_name("Core Alice"),
            challenge_password: Some(SecretString::new(CHALLENGE)),
        },
    )
    .expect("csr");
    let signer = Signer {
        key: &key,
        cert_der: scep::self_signed_signer(&key, "Core Alice").expect("signer"),
    };
    let tid = scep::transaction_id(key.public_key_der(), false);
    let nonce: [u8; 16] = *b"0123456789abcdef";
    let message = scep::build_message(&Outgoing {
        message_type: scep::MessageType::PkcsReq,
        transaction_id: &tid,
        sender_nonce: nonce,
        content: csr.der(),
        recipient_der: &ca.recipient,
        cipher: scep::Cipher::for_caps(&caps),
        hash: scep::Hash::for_caps(&caps),
        signer: &signer,
    })
    .expect("message");

    // openssl reads the message: messageType 19 (PKCSReq) and our transactionID, a signature
    // it verifies, and an envelope that the CA's key opens to our CSR with the challenge.
    let dir = server.scratch();
    let msg = dir.join("pkcsreq.der");
    std::fs::write(&msg, &message).expect("write");
    let printed = run_tool(
        Command::new("openssl")
            .args(["cms", "-cmsout", "-inform", "DER", "-print", "-in"])
            .arg(&msg),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .stdout_text();
    assert!(printed.contains("2.16.840.1.113733.1.9.2"), "{printed}");
    assert!(printed.contains("PRINTABLESTRING:19"), "{printed}");
    assert!(printed.contains(&tid), "{printed}");
    let envelope = dir.join("envelope.der");
    run_tool(
        Command::new("openssl")
            .args(["cms", "-verify", "-inform", "DER", "-noverify", "-in"])
            .arg(&msg)
            .arg("-out")
            .arg(&envelope),
    )
    .unwrap_or_else(|e| panic!("openssl does not verify the signature: {e}"));
    let env_printed = run_tool(
        Command::new("openssl")
            .args(["cms", "-cmsout", "-inform", "DER", "-print", "-in"])
            .arg(&envelope),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .stdout_text();
    assert!(
        env_printed.contains("pkcs7-envelopedData") && env_printed.contains("aes-256-cbc"),
        "{env_printed}"
    );
    let inner = dir.join("csr.der");
    run_tool(
        Command::new("openssl")
            .args([
                "cms", "-decrypt", "-inform", "DER", "-passin", "pass:", "-in",
            ])
            .arg(&envelope)
            .arg("-recip")
            .arg(server.ca_path())
            .arg("-inkey")
            .arg(server.ca_key_path())
            .arg("-out")
            .arg(&inner),
    )
    .unwrap_or_else(|e| panic!("the CA's key does not open the envelope: {e}"));
    let req = run_tool(
        Command::new("openssl")
            .args(["req", "-inform", "DER", "-noout", "-text", "-verify", "-in"])
            .arg(&inner),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let text = req.text();
    assert!(
        text.contains("challengePassword") && text.contains(CHALLENGE),
        "{text}"
    );
    assert!(text.contains("Core Alice"), "{text}");

    // The real server answers with a certificate for our key.
    let answer = transport::send(&HttpRequest::post(
        scep::operation_url(&base, "PKIOperation", None),
        "application/x-pki-message",
        message.clone(),
    ))
    .expect("PKIOperation");
    assert_eq!(answer.status, 200);
    let body = answer.body;
    let trusted = [ca.signer.clone(), ca.ca.clone()];
    let good = Expect {
        transaction_id: &tid,
        sender_nonce: &nonce,
        trusted_signers: &trusted,
        our_cert_der: &signer.cert_der,
        our_key: &key,
    };
    let CertRep::Success(certs) = scep::read_cert_rep(&body, &base, &good).expect("CertRep") else {
        panic!("not a success");
    };
    assert_eq!(
        certdesk_core::cert::public_key_of(&certs[0]).expect("spki"),
        key.public_key_der()
    );

    // The same answer against other expectations: each refusal its own message.
    let mut messages = Vec::new();
    let (p, m) = problem(
        scep::read_cert_rep(
            &body,
            &base,
            &Expect {
                transaction_id: "FOREIGN",
                ..good
            },
        )
        .expect_err("foreign transaction"),
    );
    assert_eq!(p, ScepProblem::TransactionMismatch, "{m}");
    messages.push(m);
    let other_nonce = [7u8; 16];
    let (p, m) = problem(
        scep::read_cert_rep(
            &body,
            &base,
            &Expect {
                sender_nonce: &other_nonce,
                ..good
            },
        )
        .expect_err("nonce"),
    );
    assert_eq!(p, ScepProblem::NonceMismatch, "{m}");
    messages.push(m);
    let only_ours = [signer.cert_der.clone()];
    let (p, m) = problem(
        scep::read_cert_rep(
            &body,
            &base,
            &Expect {
                trusted_signers: &only_ours,
                ..good
            },
        )
        .expect_err("signed by another key"),
    );
    assert_eq!(p, ScepProblem::ForeignSigner, "{m}");
    messages.push(m);
    let stranger = PrivateKey::generate(KeySpec::Rsa2048).expect("key");
    let stranger_cert = scep::self_signed_signer(&stranger, "Stranger").expect("cert");
    let (p, m) = problem(
        scep::read_cert_rep(
            &body,
            &base,
            &Expect {
                our_cert_der: &stranger_cert,
                our_key: &stranger,
                ..good
            },
        )
        .expect_err("encrypted to another key"),
    );
    assert_eq!(p, ScepProblem::NotForUs, "{m}");
    messages.push(m);
    let mut tampered = body.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let (p, m) = problem(scep::read_cert_rep(&tampered, &base, &good).expect_err("tampered"));
    assert_eq!(p, ScepProblem::BadSignature, "{m}");
    messages.push(m);
    let (p, m) = problem(
        scep::read_cert_rep(b"<html>nope</html>", &base, &good).expect_err("not a message"),
    );
    assert_eq!(p, ScepProblem::NotPkiMessage, "{m}");
    messages.push(m);
    let mut unique = messages.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), messages.len(), "{messages:#?}");
}
