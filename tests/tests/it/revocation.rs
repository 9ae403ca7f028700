//! Revocation status against real parts (issue #7): certificates issued by `openssl ca` with a
//! CRL distribution point and an OCSP URL pointing at 127.0.0.1, a CRL made by
//! `openssl ca -gencrl` served by `python3 -m http.server`, and an `openssl ocsp` responder.
//! Good and revoked through each source; unreachable, tampered, foreign, stale and replayed
//! answers end in "unknown" with the reason.

use std::process::{Command, Stdio};
use std::time::Duration;

use certdesk_core::revocation::{
    self, check_crl, check_ocsp_response, Overall, SourceStatus, StatusOptions, UnknownReason,
};
use certdesk_core::wallet::{Identity, IdentityStatus, Origin, Protection};
use certdesk_testkit::servers::fixture::issue_client_with_subject;
use certdesk_testkit::{free_port, wait_for_port, ChildGuard, IssuedIdentity, OpensslCa, SignOpts};
use time::OffsetDateTime;

fn der_of(pem_text: &[u8]) -> Vec<u8> {
    let body: String = String::from_utf8_lossy(pem_text)
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    let out = Command::new("openssl")
        .args(["base64", "-d", "-A"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            c.stdin.take().expect("stdin").write_all(body.as_bytes())?;
            c.wait_with_output()
        })
        .expect("openssl base64");
    out.stdout
}

/// An identity record holding `cert` and the CA chain (no key is needed for status).
fn identity_of(cert: &IssuedIdentity, label: &str) -> Identity {
    let now = OffsetDateTime::now_utc();
    Identity {
        format: 1,
        id: format!("{:016x}", label.len()),
        label: label.to_string(),
        status: IdentityStatus::Issued,
        requested_subject: None,
        key_type: certdesk_core::key::KeySpec::EcP256,
        created: now,
        updated: now,
        origin: Origin::Request { via: "test".into() },
        protection: Protection::Passphrase,
        public_key: String::new(),
        csr_pem: None,
        certificate_pem: Some(String::from_utf8_lossy(&cert.cert.cert_pem).into_owned()),
        chain_pem: vec![String::from_utf8_lossy(&cert.cert.chain_pem).into_owned()],
        previous_certificates: Vec::new(),
        import_warnings: Vec::new(),
    }
}

struct World {
    ca: OpensslCa,
    good: IssuedIdentity,
    revoked: IssuedIdentity,
    crl_pem: Vec<u8>,
    _dir: tempfile::TempDir,
    _http: ChildGuard,
    _ocsp: ChildGuard,
}

fn start_world() -> World {
    let ca = OpensslCa::new("Revocation Test");
    let (crl_port, ocsp_port) = (free_port(), free_port());
    let opts = || SignOpts {
        crl_url: Some(format!("http://127.0.0.1:{crl_port}/ca.crl")),
        ocsp_url: Some(format!("http://127.0.0.1:{ocsp_port}")),
        ..SignOpts::default()
    };
    let good = issue_client_with_subject(&ca, "/O=Example Corp/CN=good", opts());
    let revoked = issue_client_with_subject(&ca, "/O=Example Corp/CN=revoked", opts());
    ca.revoke(&revoked.cert.cert_pem);
    let crl_pem = ca.gencrl();
    let dir = tempfile::tempdir().expect("tempdir");
    // Served as DER, as CAs publish CRLs at distribution points.
    std::fs::write(dir.path().join("ca.crl"), der_of(&crl_pem)).expect("write CRL");
    let http = ChildGuard::spawn(
        Command::new("python3")
            .args([
                "-m",
                "http.server",
                &crl_port.to_string(),
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .expect("python3 http.server starts");
    let mut ocsp = ChildGuard::spawn(
        Command::new("openssl")
            .args(["ocsp", "-port", &ocsp_port.to_string(), "-index"])
            .arg(ca.index_path())
            .arg("-CA")
            .arg(ca.issuer_cert_path())
            .arg("-rsigner")
            .arg(ca.issuer_cert_path())
            .arg("-rkey")
            .arg(ca.issuer_key_path())
            .args(["-nmin", "5"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    )
    .expect("openssl ocsp starts");
    // `openssl ocsp` serves one connection at a time and waits for a request on each: a bare
    // connect (wait_for_port) would block it. Wait for its ready line instead.
    let stderr = ocsp.child_mut().stderr.take().expect("stderr piped");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    loop {
        match lines.next() {
            Some(Ok(l)) if l.contains("waiting for OCSP client connections") => break,
            Some(Ok(_)) => continue,
            other => panic!("openssl ocsp did not start: {other:?}"),
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    wait_for_port(crl_port, Duration::from_secs(10)).expect("CRL server listens");
    World {
        ca,
        good,
        revoked,
        crl_pem,
        _dir: dir,
        _http: http,
        _ocsp: ocsp,
    }
}

fn options() -> StatusOptions {
    StatusOptions {
        timeout: Duration::from_secs(5),
        ..StatusOptions::default()
    }
}

#[test]
fn crl_and_ocsp_say_good_and_revoked() {
    let w = start_world();
    let good = revocation::check_status(&identity_of(&w.good, "good"), &options()).expect("status");
    assert_eq!(good.revocation.len(), 2);
    for check in &good.revocation {
        assert_eq!(
            check.status,
            SourceStatus::Good,
            "{}: {check:?}",
            check.source
        );
        assert!(check.next_update.is_some(), "{check:?}");
    }
    assert_eq!(good.overall, Overall::Good);

    let bad =
        revocation::check_status(&identity_of(&w.revoked, "revoked"), &options()).expect("status");
    for check in &bad.revocation {
        match &check.status {
            SourceStatus::Revoked { revoked_at, reason } => {
                assert_eq!(reason.as_deref(), Some("keyCompromise"), "{}", check.source);
                let age = OffsetDateTime::now_utc() - *revoked_at;
                assert!(
                    age < time::Duration::minutes(10),
                    "{}: revoked at {revoked_at}",
                    check.source
                );
            }
            other => panic!("{}: expected revoked, got {other:?}", check.source),
        }
    }
    assert_eq!(bad.overall, Overall::Revoked);

    // The same CRL in PEM, checked offline, agrees; a day past nextUpdate it is stale.
    let leaf = der_of(&w.revoked.cert.cert_pem);
    let issuer = der_of(w.ca.issuer_pem());
    let (status, _, next) = check_crl(&w.crl_pem, &leaf, &issuer, OffsetDateTime::now_utc());
    assert!(matches!(status, SourceStatus::Revoked { .. }), "{status:?}");
    let later = next.expect("nextUpdate") + time::Duration::days(1);
    let (stale, _, _) = check_crl(&w.crl_pem, &leaf, &issuer, later);
    assert!(
        matches!(
            stale,
            SourceStatus::Unknown {
                reason: UnknownReason::Stale,
                ..
            }
        ),
        "{stale:?}"
    );
}

#[test]
fn tampered_or_foreign_crls_and_replayed_ocsp_answers_are_unknown() {
    let w = start_world();
    let leaf = der_of(&w.good.cert.cert_pem);
    let issuer = der_of(w.ca.issuer_pem());
    let now = OffsetDateTime::now_utc();
    let mut crl = der_of(&w.crl_pem);
    let last = crl.len() - 3;
    crl[last] ^= 0x55;
    let (status, _, _) = check_crl(&crl, &leaf, &issuer, now);
    assert!(
        matches!(
            status,
            SourceStatus::Unknown {
                reason: UnknownReason::SignatureInvalid,
                ..
            }
        ),
        "{status:?}"
    );
    let other = OpensslCa::new("Someone Else");
    let (foreign, _, _) = check_crl(&other.gencrl(), &leaf, &issuer, now);
    assert!(
        matches!(
            foreign,
            SourceStatus::Unknown {
                reason: UnknownReason::WrongIssuer,
                ..
            }
        ),
        "{foreign:?}"
    );

    // Ask the real responder with nonce A, then check its answer as if we had sent nonce B.
    let url = revocation::revocation_sources(&leaf)
        .expect("sources")
        .ocsp_urls[0]
        .clone();
    let request = revocation::build_ocsp_request(&leaf, &issuer, Some(b"nonce-A-123456789"))
        .expect("request");
    // OpenSSL itself reads our request.
    let req_file = w._dir.path().join("req.der");
    std::fs::write(&req_file, &request).expect("write");
    let text = certdesk_testkit::run_tool(
        Command::new("openssl")
            .args(["ocsp", "-reqin"])
            .arg(&req_file)
            .args(["-req_text"]),
    )
    .expect("openssl reads the OCSP request")
    .stdout_text();
    assert!(text.contains("OCSP Nonce"), "{text}");
    let mut http =
        certdesk_core::transport::HttpRequest::post(&url, "application/ocsp-request", request);
    http.timeout = Duration::from_secs(5);
    let answer = certdesk_core::transport::send(&http)
        .expect("responder answers")
        .body;
    let (ok, _, _) = check_ocsp_response(&answer, &leaf, &issuer, Some(b"nonce-A-123456789"), now);
    assert_eq!(ok, SourceStatus::Good);
    let (replayed, _, _) =
        check_ocsp_response(&answer, &leaf, &issuer, Some(b"nonce-B-987654321"), now);
    assert!(
        matches!(
            replayed,
            SourceStatus::Unknown {
                reason: UnknownReason::NonceMismatch,
                ..
            }
        ),
        "{replayed:?}"
    );
    // The answer does not verify against another CA.
    let other_issuer = der_of(other.issuer_pem());
    let (wrong, _, _) = check_ocsp_response(&answer, &leaf, &other_issuer, None, now);
    assert!(matches!(wrong, SourceStatus::Unknown { .. }), "{wrong:?}");
}

#[test]
fn unreachable_sources_are_unknown_with_the_reason() {
    let ca = OpensslCa::new("Nobody Home");
    let dead = free_port();
    let cert = issue_client_with_subject(
        &ca,
        "/CN=orphan",
        SignOpts {
            crl_url: Some(format!("http://127.0.0.1:{dead}/ca.crl")),
            ocsp_url: Some(format!("http://127.0.0.1:{dead}/")),
            ..SignOpts::default()
        },
    );
    let report =
        revocation::check_status(&identity_of(&cert, "orphan"), &options()).expect("status");
    for check in &report.revocation {
        match &check.status {
            SourceStatus::Unknown {
                reason: UnknownReason::Unreachable,
                detail,
            } => {
                assert!(detail.contains("127.0.0.1"), "{}: {detail}", check.source)
            }
            other => panic!("{}: expected unreachable, got {other:?}", check.source),
        }
    }
    assert_eq!(report.overall, Overall::Unknown);
}
