//! The EST endpoint (RFC 7030, with RFC 8951's clarifications) under `/.well-known/est/`.
//!
//! `cacerts` answers the practice CA as a certs-only PKCS#7; `csrattrs` answers 204 (the
//! practice CA asks for no particular attributes, RFC 7030 §4.5.2); `simpleenroll` needs HTTP
//! Basic with the demo user and code; `simplereenroll` needs the current certificate over TLS
//! and keeps the subject (§4.2.2).

use base64::Engine as _;
use bytes::Bytes;
use certdesk_core::secret::SecretString;
use http_body_util::Full;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Response, StatusCode};

use crate::ca::{check_csr, subject_attrs_of_cert, PracticeCa};

/// The Basic realm the practice EST endpoint announces.
pub const REALM: &str = "certdesk practice CA";
/// The EST base path.
pub const EST_PATH: &str = "/.well-known/est/";
/// Larger request bodies are refused with 413 (a CSR is a few KiB).
pub(crate) const MAX_BODY: usize = 64 * 1024;

const PKCS7_CERTS_ONLY: &str = "application/pkcs7-mime; smime-type=certs-only";

pub(crate) type Reply = Response<Full<Bytes>>;

/// What the EST handlers need: the CA and the demo credentials.
#[derive(Debug)]
pub(crate) struct EstState {
    pub(crate) ca: PracticeCa,
    pub(crate) user: String,
    pub(crate) code: SecretString,
    /// Lifetime of the client certificates it issues.
    pub(crate) validity: std::time::Duration,
}

/// One EST operation, already read off the wire.
#[derive(Debug)]
pub(crate) struct EstRequest<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) authorization: Option<&'a HeaderValue>,
    pub(crate) body: &'a [u8],
    /// The TLS client certificate (DER), verified against the practice CA by the handshake.
    pub(crate) peer_cert: Option<&'a [u8]>,
}

/// Answers one EST request.
pub(crate) fn handle(state: &EstState, req: &EstRequest<'_>) -> Reply {
    let Some(rest) = req.path.strip_prefix(EST_PATH) else {
        return text(
            StatusCode::NOT_FOUND,
            "not found: the practice CA's EST service is under /.well-known/est/\n",
        );
    };
    // RFC 7030 §3.2.2: an optional CA label, `/.well-known/est/<label>/<operation>`. The
    // practice CA is one CA under every label, so a help-desk profile that names one works.
    let op = match rest.split_once('/') {
        Some((label, op)) if !label.is_empty() && !op.contains('/') => op,
        _ => rest,
    };
    let (expected, allowed) = match op {
        "cacerts" | "csrattrs" => (Method::GET, "GET"),
        "simpleenroll" | "simplereenroll" => (Method::POST, "POST"),
        _ => {
            return text(
                StatusCode::NOT_FOUND,
                &format!("not found: the practice CA has no EST operation \"{op}\" (it has cacerts, csrattrs, simpleenroll and simplereenroll)\n"),
            )
        }
    };
    if *req.method != expected {
        let mut r = text(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("{op} takes {allowed}\n"),
        );
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static(allowed));
        return r;
    }
    match op {
        "cacerts" => pkcs7(&[state.ca.cert_der().to_vec()]),
        // RFC 7030 §4.5.2: 204 when the server has no attributes to ask for.
        "csrattrs" => empty(StatusCode::NO_CONTENT),
        "simpleenroll" => {
            if !basic_auth_ok(req.authorization, &state.user, &state.code) {
                return unauthorized();
            }
            enroll(state, req.body, None)
        }
        _ => {
            let Some(current) = req.peer_cert else {
                return text(
                    StatusCode::FORBIDDEN,
                    "simplereenroll renews a certificate: connect with your current certificate from the practice CA (TLS client authentication)\n",
                );
            };
            enroll(state, req.body, Some(current))
        }
    }
}

fn enroll(state: &EstState, body: &[u8], renewing: Option<&[u8]>) -> Reply {
    let der = match decode_body(body) {
        Ok(d) => d,
        Err(reason) => return text(StatusCode::BAD_REQUEST, &format!("{reason}\n")),
    };
    let csr = match check_csr(&der) {
        Ok(c) => c,
        Err(reason) => return text(StatusCode::BAD_REQUEST, &format!("{reason}\n")),
    };
    if let Some(current) = renewing {
        match subject_attrs_of_cert(current) {
            Ok(attrs) if attrs == csr.subject_attrs => {}
            Ok(_) => {
                return text(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "a renewal keeps the subject: the request names \"{}\", which is not the subject of the certificate you connected with\n",
                        csr.subject_text
                    ),
                )
            }
            Err(reason) => return text(StatusCode::BAD_REQUEST, &format!("{reason}\n")),
        }
    }
    match state.ca.issue_client(&csr, state.validity) {
        // RFC 7030 §4.2.3: the answer holds only the issued certificate.
        Ok(issued) => pkcs7(&[issued.der]),
        Err(reason) => text(StatusCode::BAD_REQUEST, &format!("{reason}\n")),
    }
}

/// Reads an EST request body: base64 of the DER request, wrapped or not, whatever
/// Content-Transfer-Encoding says (RFC 8951 §3.2); a PEM request is accepted too.
pub fn decode_body(body: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(body).map_err(|_| {
        "the body is not base64 text: EST expects the DER request in base64 (RFC 7030 §4.2.1)"
            .to_string()
    })?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(
            "the body is empty: send the certificate request (base64 of its DER form)".into(),
        );
    }
    if trimmed.starts_with("-----BEGIN") {
        let block =
            pem::parse(trimmed).map_err(|e| format!("the PEM body could not be read: {e}"))?;
        if block.tag() != "CERTIFICATE REQUEST" && block.tag() != "NEW CERTIFICATE REQUEST" {
            return Err(format!(
                "expected a CERTIFICATE REQUEST, found a {} in the body",
                block.tag()
            ));
        }
        return Ok(block.into_contents());
    }
    let compact: String = trimmed
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| format!("the body is not base64 ({e}): EST expects the DER request in base64 (RFC 7030 §4.2.1)"))
}

/// Base64 wrapped at 64 columns, each line ending in a newline.
pub(crate) fn wrap64(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 1);
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out
}

pub fn basic_auth_ok(header: Option<&HeaderValue>, user: &str, code: &SecretString) -> bool {
    let Some(value) = header.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let Some((scheme, creds)) = value.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(creds.trim()) else {
        return false;
    };
    let decoded = zeroize::Zeroizing::new(decoded);
    let expected = zeroize::Zeroizing::new(format!("{user}:{}", code.expose()).into_bytes());
    constant_time_eq(&decoded, &expected)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn pkcs7(certs: &[Vec<u8>]) -> Reply {
    match certdesk_core::encoding::build_pkcs7(certs) {
        Ok(der) => {
            let mut r = Response::new(Full::new(Bytes::from(wrap64(&der))));
            let h = r.headers_mut();
            h.insert(CONTENT_TYPE, HeaderValue::from_static(PKCS7_CERTS_ONLY));
            h.insert(
                "content-transfer-encoding",
                HeaderValue::from_static("base64"),
            );
            r
        }
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("the practice CA could not build its answer: {e}\n"),
        ),
    }
}

fn unauthorized() -> Reply {
    let mut r = text(
        StatusCode::UNAUTHORIZED,
        "the enrollment code was missing or not accepted: use the user and code that `certdesk practice serve` shows\n",
    );
    r.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_str(&format!("Basic realm=\"{REALM}\""))
            .unwrap_or(HeaderValue::from_static("Basic")),
    );
    r
}

pub(crate) fn text(status: StatusCode, body: &str) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn empty(status: StatusCode) -> Reply {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_base64_has_64_columns_and_ends_in_a_newline() {
        let data = vec![7u8; 200];
        let w = wrap64(&data);
        assert!(w.ends_with('\n'));
        let lines: Vec<&str> = w.lines().collect();
        assert!(lines[..lines.len() - 1].iter().all(|l| l.len() == 64));
        assert_eq!(decode_body(w.as_bytes()).expect("decode"), data);
    }

    #[test]
    fn body_decoding_tolerates_crlf_and_names_garbage() {
        let data = vec![1u8, 2, 3, 4, 5, 6];
        let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
        let crlf = format!("{}\r\n{}\r\n", &b64[..4], &b64[4..]);
        assert_eq!(decode_body(crlf.as_bytes()).expect("decode"), data);
        let err = decode_body(b"not base64 at all!").expect_err("garbage");
        assert!(err.contains("not base64"), "{err}");
        let err = decode_body(b"  \n").expect_err("empty");
        assert!(err.contains("empty"), "{err}");
    }

    #[test]
    fn basic_auth_needs_the_exact_user_and_code() {
        let code = SecretString::new("abcd-efgh");
        let hv = |s: &str| {
            HeaderValue::from_str(&format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(s)
            ))
            .expect("header")
        };
        assert!(basic_auth_ok(
            Some(&hv("practice:abcd-efgh")),
            "practice",
            &code
        ));
        assert!(!basic_auth_ok(
            Some(&hv("practice:abcd-efgX")),
            "practice",
            &code
        ));
        assert!(!basic_auth_ok(
            Some(&hv("other:abcd-efgh")),
            "practice",
            &code
        ));
        assert!(!basic_auth_ok(None, "practice", &code));
        assert!(!basic_auth_ok(
            Some(&HeaderValue::from_static("Bearer abc")),
            "practice",
            &code
        ));
    }
}
