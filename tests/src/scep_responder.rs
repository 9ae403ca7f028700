//! A SCEP test responder for the two behaviours micromdm's `scepserver` cannot produce: a
//! PENDING answer (manual approval; the certificate comes on the CertPoll that follows) and
//! NDES's GetCACert answer with the CA and two RA certificates (one with keyEncipherment that
//! requests are encrypted to, one with digitalSignature that signs the answers). Everything else
//! is tested against the real server (see [`crate::scep`]).
//!
//! It is a test double, kept small: a plain HTTP/1.1 listener on 127.0.0.1 in a thread. The
//! certificates and keys come from `openssl req`/`openssl x509`; requests are opened with
//! `openssl cms -verify`/`-decrypt` and certificates issued with `openssl x509 -req`; the
//! CertRep SignedData is assembled with the `cms`/`der` crates and signed with
//! `openssl dgst -sign`. Only the envelope around the issued certificate uses certdesk-core's
//! own encryption (`enroll::scep::envelope`), whose output openssl reads in the SCEP tests.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use certdesk_core::enroll::scep;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, PrintableStringRef, SetOfVec};
use der::{Decode as _, Encode as _};
use tempfile::TempDir;
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use crate::cmd::{read_file, run_tool, temp_dir, write_file};

/// What the responder does with a PKCSReq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponderMode {
    /// Issue at once (the NDES two-RA case).
    Issue,
    /// Answer PENDING; issue on the CertPoll of the same transaction.
    PendingThenIssue,
    /// PKIOperation: 200 with an HTML page titled "Sign in" (a proxy's login page).
    Html,
    /// PKIOperation: 200 with an empty body.
    Empty,
    /// PKIOperation: 500 "database locked".
    Error500,
    /// PKIOperation: no answer for 30 s (use a short client timeout).
    Hang,
    /// An old server: GetCACaps offers only `DES3` (no AES, no POSTPKIOperation, no
    /// Renewal); PKIOperation is taken by GET with the base64 message; issues at once.
    Old,
}

/// A running responder; its thread ends with the test process (it holds no child process).
pub struct ScepResponder {
    port: u16,
    dir: TempDir,
    log: Arc<Mutex<Vec<String>>>,
}

fn any<T: der::Encode>(v: &T) -> Any {
    Any::from_der(&v.to_der().expect("encode")).expect("encode")
}

fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

fn openssl(args: &[&str], dir: &Path) {
    run_tool(Command::new("openssl").args(args).current_dir(dir)).unwrap_or_else(|e| panic!("{e}"));
}

fn der_of_pem(path: &Path) -> Vec<u8> {
    let out = run_tool(
        Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(path),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    out.stdout
}

impl ScepResponder {
    /// Makes the CA and the two RA certificates and starts listening.
    pub fn start(mode: ResponderMode) -> ScepResponder {
        let dir = temp_dir("certdesk-scep-responder-");
        let d = dir.path();
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-noenc",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=Test NDES CA",
                "-days",
                "30",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=keyCertSign,cRLSign",
            ],
            d,
        );
        for (name, usage) in [("ke", "keyEncipherment"), ("ds", "digitalSignature")] {
            write_file(
                &d.join(format!("{name}.ext")),
                format!("keyUsage=critical,{usage}\nbasicConstraints=CA:FALSE\n").as_bytes(),
            );
            openssl(
                &[
                    "req",
                    "-newkey",
                    "rsa:2048",
                    "-noenc",
                    "-keyout",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.csr"),
                    "-subj",
                    &format!("/CN=Test NDES RA {usage}"),
                ],
                d,
            );
            openssl(
                &[
                    "x509",
                    "-req",
                    "-in",
                    &format!("{name}.csr"),
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-days",
                    "30",
                    "-extfile",
                    &format!("{name}.ext"),
                    "-out",
                    &format!("{name}.pem"),
                ],
                d,
            );
        }
        openssl(
            &[
                "crl2pkcs7",
                "-nocrl",
                "-certfile",
                "ca.pem",
                "-certfile",
                "ke.pem",
                "-certfile",
                "ds.pem",
                "-outform",
                "DER",
                "-out",
                "cacerts.p7b",
            ],
            d,
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = Responder {
            dir: d.to_path_buf(),
            mode,
            waiting: Mutex::new(HashMap::new()),
            log: log.clone(),
            counter: Mutex::new(0),
        };
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = state.serve(stream);
            }
        });
        ScepResponder { port, dir, log }
    }

    /// `http://127.0.0.1:PORT/scep`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/scep", self.port)
    }

    /// The CA certificate (PEM file).
    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The responder's working directory (`req-N.der`, `env-N.der`: the N-th request and its
    /// envelope as received).
    pub fn work_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// What happened, one line per PKIOperation (`PKCSReq -> PENDING`, …).
    pub fn log(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl std::fmt::Debug for ScepResponder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScepResponder")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

struct Responder {
    dir: PathBuf,
    mode: ResponderMode,
    /// transactionID → the CSR (DER) waiting for approval.
    waiting: Mutex<HashMap<String, Vec<u8>>>,
    log: Arc<Mutex<Vec<String>>>,
    counter: Mutex<u32>,
}

impl Responder {
    fn serve(&self, stream: TcpStream) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let target = line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0).min(1 << 20);
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let url = url::Url::parse(&format!("http://x{target}")).ok();
        let op = url
            .as_ref()
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "operation")
                    .map(|(_, v)| v.into_owned())
            })
            .unwrap_or_default();
        let hostile = match (op.as_str(), self.mode) {
            ("PKIOperation", ResponderMode::Html) => Some((
                "200 OK",
                "text/html",
                b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in</body></html>".to_vec(),
            )),
            ("PKIOperation", ResponderMode::Empty) => Some(("200 OK", "application/x-pki-message", Vec::new())),
            ("PKIOperation", ResponderMode::Error500) => Some((
                "500 Internal Server Error",
                "text/plain",
                b"database locked".to_vec(),
            )),
            ("PKIOperation", ResponderMode::Hang) => {
                std::thread::sleep(std::time::Duration::from_secs(30));
                return Ok(());
            }
            _ => None,
        };
        if let Some((status, ctype, answer)) = hostile {
            if let Ok(mut log) = self.log.lock() {
                log.push(format!("PKIOperation -> {status}"));
            }
            let mut out = stream;
            write!(
                out,
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                answer.len()
            )?;
            out.write_all(&answer)?;
            return out.flush();
        }
        let (ctype, answer) = match op.as_str() {
            "GetCACaps" if self.mode == ResponderMode::Old => ("text/plain", b"DES3\n".to_vec()),
            "GetCACaps" => (
                "text/plain",
                b"AES\nPOSTPKIOperation\nSHA-256\nRenewal\n".to_vec(),
            ),
            "GetCACert" => (
                "application/x-x509-ca-ra-cert",
                read_file(&self.dir.join("cacerts.p7b")),
            ),
            "PKIOperation" if line.starts_with("GET ") => {
                // The message travels base64 in the query (RFC 8894 §4.1), decoded by openssl.
                let b64 = url
                    .as_ref()
                    .and_then(|u| {
                        u.query_pairs()
                            .find(|(k, _)| k == "message")
                            .map(|(_, v)| v.into_owned())
                    })
                    .unwrap_or_default();
                let der = crate::cmd::run_tool_with_stdin(
                    Command::new("openssl").args(["base64", "-d", "-A"]),
                    b64.as_bytes(),
                )
                .map(|o| o.stdout)
                .unwrap_or_default();
                if let Ok(mut log) = self.log.lock() {
                    log.push("PKIOperation by GET".into());
                }
                ("application/x-pki-message", self.pki_operation(&der))
            }
            "PKIOperation" => ("application/x-pki-message", self.pki_operation(&body)),
            _ => ("text/plain", Vec::new()),
        };
        let mut out = stream;
        write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            answer.len()
        )?;
        out.write_all(&answer)?;
        out.flush()
    }

    fn pki_operation(&self, body: &[u8]) -> Vec<u8> {
        let n = {
            let mut c = self.counter.lock().expect("counter");
            *c += 1;
            *c
        };
        let d = &self.dir;
        let f = |name: &str| match name.split_once('.') {
            Some((stem, ext)) => format!("{stem}-{n}.{ext}"),
            None => format!("{name}-{n}"),
        };
        write_file(&d.join(f("req.der")), body);
        openssl(
            &[
                "cms",
                "-verify",
                "-noverify",
                "-inform",
                "DER",
                "-in",
                &f("req.der"),
                "-out",
                &f("env.der"),
                "-certsout",
                &f("signer.pem"),
            ],
            d,
        );
        openssl(
            &[
                "cms",
                "-decrypt",
                "-inform",
                "DER",
                "-in",
                &f("env.der"),
                "-recip",
                "ke.pem",
                "-inkey",
                "ke.key",
                "-out",
                &f("inner.der"),
            ],
            d,
        );
        let facts = scep::message_facts(body).expect("a pkiMessage");
        let inner = read_file(&d.join(f("inner.der")));
        let signer = der_of_pem(&d.join(f("signer.pem")));
        let (status, csr) = match (facts.message_type.as_str(), self.mode) {
            ("19", ResponderMode::PendingThenIssue) => {
                self.waiting
                    .lock()
                    .expect("waiting")
                    .insert(facts.transaction_id.clone(), inner);
                ("3", None)
            }
            ("20", _) => {
                let csr = self
                    .waiting
                    .lock()
                    .expect("waiting")
                    .remove(&facts.transaction_id);
                (if csr.is_some() { "0" } else { "3" }, csr)
            }
            _ => ("0", Some(inner)),
        };
        if let Ok(mut log) = self.log.lock() {
            log.push(format!(
                "messageType {} -> pkiStatus {status}",
                facts.message_type
            ));
        }
        let content = csr.map(|csr| {
            write_file(&d.join(f("csr.der")), &csr);
            openssl(
                &[
                    "x509",
                    "-req",
                    "-inform",
                    "DER",
                    "-in",
                    &f("csr.der"),
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-days",
                    "30",
                    "-outform",
                    "DER",
                    "-out",
                    &f("issued.der"),
                ],
                d,
            );
            let issued = read_file(&d.join(f("issued.der")));
            let degenerate = certdesk_core::encoding::build_pkcs7(&[issued]).expect("p7");
            scep::envelope(&degenerate, &signer, scep::Cipher::Aes256).expect("envelope")
        });
        self.cert_rep(status, &facts, content.as_deref(), n)
    }

    fn cert_rep(
        &self,
        status: &str,
        facts: &scep::MessageFacts,
        content: Option<&[u8]>,
        n: u32,
    ) -> Vec<u8> {
        use sha2::Digest as _;
        let ds = Certificate::from_der(&der_of_pem(&self.dir.join("ds.pem"))).expect("ds");
        let attr = |o: &str, v: Any| Attribute {
            oid: oid(o),
            values: SetOfVec::try_from(vec![v]).expect("set"),
        };
        let ps = |s: &str| any(&PrintableStringRef::new(s).expect("printable"));
        let os = |b: &[u8]| any(&OctetString::new(b).expect("octets"));
        let digest = sha2::Sha256::digest(content.unwrap_or_default());
        let attrs = SetOfVec::try_from(vec![
            attr("1.2.840.113549.1.9.3", any(&oid("1.2.840.113549.1.7.1"))),
            attr("1.2.840.113549.1.9.4", os(&digest)),
            attr("2.16.840.1.113733.1.9.2", ps("3")),
            attr("2.16.840.1.113733.1.9.3", ps(status)),
            attr("2.16.840.1.113733.1.9.7", ps(&facts.transaction_id)),
            attr("2.16.840.1.113733.1.9.6", os(&facts.sender_nonce)),
            attr("2.16.840.1.113733.1.9.5", os(&[0x5a; 16])),
        ])
        .expect("attributes");
        let to_sign = format!("attrs-{n}.der");
        write_file(&self.dir.join(&to_sign), &attrs.to_der().expect("der"));
        let sig = format!("sig-{n}.bin");
        openssl(
            &["dgst", "-sha256", "-sign", "ds.key", "-out", &sig, &to_sign],
            &self.dir,
        );
        let alg = |o: &str, null: bool| AlgorithmIdentifierOwned {
            oid: oid(o),
            parameters: null.then(Any::null),
        };
        let signed = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![alg("2.16.840.1.101.3.4.2.1", false)])
                .expect("set"),
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: oid("1.2.840.113549.1.7.1"),
                econtent: content.map(os),
            },
            certificates: Some(CertificateSet(
                SetOfVec::try_from(vec![CertificateChoices::Certificate(ds.clone())]).expect("set"),
            )),
            crls: None,
            signer_infos: SignerInfos(
                SetOfVec::try_from(vec![SignerInfo {
                    version: CmsVersion::V1,
                    sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                        issuer: ds.tbs_certificate.issuer.clone(),
                        serial_number: ds.tbs_certificate.serial_number.clone(),
                    }),
                    digest_alg: alg("2.16.840.1.101.3.4.2.1", false),
                    signed_attrs: Some(attrs),
                    signature_algorithm: alg("1.2.840.113549.1.1.1", true),
                    signature: OctetString::new(read_file(&self.dir.join(&sig))).expect("sig"),
                    unsigned_attrs: None,
                }])
                .expect("set"),
            ),
        };
        ContentInfo {
            content_type: oid("1.2.840.113549.1.7.2"),
            content: any(&signed),
        }
        .to_der()
        .expect("CertRep")
    }
}
