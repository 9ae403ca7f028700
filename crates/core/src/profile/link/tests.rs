use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use sha2::{Digest, Sha256};

use super::*;

const PROFILE: &str = r#"format = 1
name = "Example Corp staff"
support = "helpdesk@example.org"
allowed_keys = ["ec-p256"]

[enroll]
method = "est"
url = "https://est.example.org"
auth = "one-time-code"

[subject]
organization = "Example Corp"
"#;

fn code_of(err: &Error) -> &'static str {
    match err {
        Error::ProfileLink { code, .. } => code,
        other => panic!("expected a ProfileLink error, got {other:?}"),
    }
}

fn link_error(link: &str) -> (String, &'static str) {
    let err = parse_profile_link(link).expect_err(link);
    (err.to_string(), code_of(&err))
}

#[test]
fn links_parse_with_and_without_a_checksum() {
    let link = parse_profile_link(
        "certdesk://profile?url=https%3A%2F%2Fhelp.example.org%2Fp%2Fstaff.certdesk%3Fv%3D2",
    )
    .expect("link");
    assert_eq!(link.url, "https://help.example.org/p/staff.certdesk?v=2");
    assert_eq!(link.sha256, None);

    let hex = "ab".repeat(32);
    let link = parse_profile_link(&format!(
        "CERTDESK://profile/?sha256={hex}&url=https://help.example.org/staff.certdesk"
    ))
    .expect("link with sha256, unencoded url, trailing slash");
    assert_eq!(link.url, "https://help.example.org/staff.certdesk");
    assert_eq!(
        link.sha256.as_deref(),
        Some(vec!["AB"; 32].join(":").as_str())
    );
}

#[test]
fn bad_links_are_refused_each_with_its_own_message() {
    let (msg, code) = link_error("https://help.example.org/staff.certdesk?x=1");
    assert_eq!(code, "bad_link");
    assert!(
        msg.contains("this is a https: link, not a certdesk:// link"),
        "{msg}"
    );

    let (msg, code) = link_error("certdesk://enroll?url=https%3A%2F%2Fa.example");
    assert_eq!(code, "bad_link");
    assert!(msg.contains("asks for \"enroll\""), "{msg}");

    let (msg, code) = link_error("certdesk://profile");
    assert_eq!(code, "bad_link");
    assert!(msg.contains("has no url=… parameter"), "{msg}");
    let (msg, _) = link_error("certdesk://profile?url=");
    assert!(msg.contains("has no url=… parameter"), "{msg}");

    let (msg, code) = link_error("certdesk://profile?url=http%3A%2F%2Fhelp.example.org%2Fp");
    assert_eq!(code, "insecure_url");
    assert!(msg.contains("uses plain http://"), "{msg}");

    let (msg, code) = link_error("certdesk://profile?url=https%3A%2F%2Fhelp.example.org%2");
    assert_eq!(code, "bad_link");
    assert!(msg.contains("broken percent-encoding at \"%2\""), "{msg}");
    let (msg, _) = link_error("certdesk://profile?url=https%3A%2F%2Fhelp%zz.example.org");
    assert!(msg.contains("broken percent-encoding at \"%zz\""), "{msg}");
    let (msg, _) = link_error("certdesk://profile?url=https%3A%2F%2Fa.example%2F%FF");
    assert!(msg.contains("does not decode to UTF-8"), "{msg}");

    let (msg, _) = link_error("certdesk://profile?url=ftp%3A%2F%2Fa.example");
    assert!(msg.contains("expected an https:// address"), "{msg}");

    let (msg, _) = link_error("certdesk://profile?url=https%3A%2F%2Fa.example&sha256=abcd");
    assert!(
        msg.contains("the sha256 parameter must be 32 bytes"),
        "{msg}"
    );

    let (msg, _) = link_error("certdesk://profile?url=https%3A%2F%2Fa.example&insecure=1");
    assert!(msg.contains("the parameter \"insecure\""), "{msg}");

    let (msg, _) =
        link_error("certdesk://profile?url=https%3A%2F%2Fa.example&url=https%3A%2F%2Fb.example");
    assert!(msg.contains("more than one url"), "{msg}");
}

#[test]
fn a_checksum_mismatch_is_refused_and_a_match_accepted() {
    let right = crate::csr::colon_hex(&Sha256::digest(PROFILE.as_bytes()));
    let link = parse_profile_link(&format!(
        "certdesk://profile?url=https%3A%2F%2Fa.example%2Fp&sha256={}",
        right.replace(':', "")
    ))
    .expect("link");
    link.check_sha256(PROFILE.as_bytes()).expect("same bytes");
    let altered = PROFILE.replace("Example Corp staff", "Evil Corp staff");
    let err = link.check_sha256(altered.as_bytes()).expect_err("altered");
    assert_eq!(code_of(&err), "sha256_mismatch");
    assert!(
        err.to_string().contains(&format!("the link says {right}")),
        "{err}"
    );
}

/// A Python (`http.server` + `ssl`, i.e. OpenSSL) HTTPS server for static files on 127.0.0.1,
/// stopped by PID on drop.
struct PyHttps {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
    ca_pem: Vec<u8>,
}

impl Drop for PyHttps {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SERVER: &str = r#"
import http.server, ssl, sys, os
os.chdir(sys.argv[1])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;

impl PyHttps {
    fn start(files: &[(&str, &[u8])]) -> PyHttps {
        let dir = tempfile::tempdir().expect("temp dir");
        let www = dir.path().join("www");
        std::fs::create_dir(&www).expect("www");
        for (name, bytes) in files {
            std::fs::write(www.join(name), bytes).expect("write file");
        }
        let ca_key = KeyPair::generate().expect("key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Profile Test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("ca");
        let issuer = rcgen::Issuer::new(ca_params, &ca_key);
        let leaf_key = KeyPair::generate().expect("key");
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
            .expect("params")
            .signed_by(&leaf_key, &issuer)
            .expect("leaf");
        let cert = dir.path().join("server.crt");
        let key = dir.path().join("server.key");
        std::fs::write(&cert, leaf.pem()).expect("cert");
        std::fs::write(&key, leaf_key.serialize_pem()).expect("key");
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(SERVER)
            .arg(&www)
            .arg(&cert)
            .arg(&key)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("port line");
        let port = line.trim().parse().expect("the server prints its port");
        PyHttps {
            child,
            port,
            _dir: dir,
            ca_pem: ca.pem().into_bytes(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}/{path}", self.port)
    }

    fn trust(&self) -> ServerTrust {
        ServerTrust {
            ca_pem: Some(self.ca_pem.clone()),
            ..ServerTrust::default()
        }
    }
}

fn fetch_error(server: &PyHttps, path: &str) -> Error {
    fetch_profile(&server.url(path), server.trust()).expect_err(path)
}

#[test]
fn profiles_download_over_https_and_every_failure_says_what_happened() {
    let big = format!("{PROFILE}\n{}", "# padding\n".repeat(7000));
    let server = PyHttps::start(&[
        ("staff.certdesk", PROFILE.as_bytes()),
        (
            "login.html",
            b"<!DOCTYPE html><html><head><title>Sign in - Example SSO</title></head><body>x</body></html>",
        ),
        ("big.certdesk", big.as_bytes()),
        ("broken.certdesk", b"format = 1\nname = \"x\"\nverify = false\n"),
    ]);

    let loaded = fetch_profile(&server.url("staff.certdesk"), server.trust()).expect("200");
    assert_eq!(loaded.profile.name, "Example Corp staff");
    assert_eq!(
        loaded.origin,
        ProfileOrigin::Url(server.url("staff.certdesk"))
    );
    assert_eq!(
        loaded.sha256,
        crate::csr::colon_hex(&Sha256::digest(PROFILE.as_bytes()))
    );

    let err = fetch_error(&server, "missing.certdesk");
    assert_eq!(code_of(&err), "not_found");
    assert!(
        err.to_string().contains("no profile at this address (404"),
        "{err}"
    );

    let err = fetch_error(&server, "login.html");
    assert_eq!(code_of(&err), "html_page");
    assert!(
        err.to_string()
            .contains("found a web page titled \"Sign in - Example SSO\""),
        "{err}"
    );

    assert!(big.len() > MAX_PROFILE_BYTES);
    let err = fetch_error(&server, "big.certdesk");
    assert_eq!(code_of(&err), "too_large");
    assert!(err.to_string().contains("larger than 64 KiB"), "{err}");

    let err = fetch_error(&server, "broken.certdesk");
    assert!(
        matches!(&err, Error::InvalidProfile { source_name, .. } if *source_name == server.url("broken.certdesk")),
        "{err:?}"
    );

    // The OS roots do not know the test CA: the download is refused, not trusted silently.
    let err = fetch_profile(&server.url("staff.certdesk"), ServerTrust::default())
        .expect_err("untrusted");
    assert!(
        matches!(
            err,
            Error::ServerNotTrusted { .. } | Error::TlsFailed { .. }
        ),
        "{err:?}"
    );

    // Plain http:// is refused before anything is sent.
    let err = fetch_profile(
        &format!("http://127.0.0.1:{}/staff.certdesk", server.port),
        server.trust(),
    )
    .expect_err("http");
    assert_eq!(code_of(&err), "insecure_url");
    assert!(err.to_string().contains("uses plain http://"), "{err}");
}

#[test]
fn links_are_fetched_and_checked_against_their_sha256() {
    let server = PyHttps::start(&[("staff.certdesk", PROFILE.as_bytes())]);
    let url = server.url("staff.certdesk");
    let encoded = url.replace(':', "%3A").replace('/', "%2F");
    let right = hex::encode(Sha256::digest(PROFILE.as_bytes()));
    let link = format!("certdesk://profile?url={encoded}&sha256={right}");

    let loaded = open_profile_source(&link, server.trust()).expect("good link");
    assert_eq!(loaded.origin, ProfileOrigin::Url(url.clone()));
    assert_eq!(loaded.origin.to_string(), format!("link {url}"));

    let wrong = hex::encode(Sha256::digest(b"another profile"));
    let err = open_profile_source(
        &format!("certdesk://profile?url={encoded}&sha256={wrong}"),
        server.trust(),
    )
    .expect_err("mismatch");
    assert_eq!(code_of(&err), "sha256_mismatch");

    // A plain https URL and a file path go through the same entry point.
    let by_url = open_profile_source(&url, server.trust()).expect("url");
    assert_eq!(by_url.sha256, loaded.sha256);
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("staff.certdesk");
    std::fs::write(&file, PROFILE).expect("write");
    let by_file =
        open_profile_source(file.to_str().expect("utf-8"), ServerTrust::default()).expect("file");
    assert_eq!(by_file.origin, ProfileOrigin::File(file.clone()));
    assert!(!is_remote_source(&file.display().to_string()));
}

#[test]
fn a_made_link_reads_back_to_the_same_url_and_sha256() {
    let sha = crate::csr::colon_hex(&Sha256::digest(PROFILE.as_bytes()));
    for url in [
        "https://help.example.org/staff.certdesk",
        "https://help.example.org:8443/profiles/%C3%84rzte%20&%20Pflege.certdesk?v=2",
    ] {
        let link = ProfileLink {
            url: url.into(),
            sha256: Some(sha.clone()),
        };
        let text = link.to_link();
        assert!(
            text.starts_with("certdesk://profile?url=https%3A%2F%2F"),
            "{text}"
        );
        assert!(!text.contains(' ') && !text.contains('#'), "{text}");
        assert_eq!(parse_profile_link(&text).expect("reads back"), link);
    }
    let plain = ProfileLink {
        url: "https://h.example/p".into(),
        sha256: None,
    };
    assert_eq!(
        plain.to_link(),
        "certdesk://profile?url=https%3A%2F%2Fh.example%2Fp"
    );
}
