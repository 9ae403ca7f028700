//! The practice site: a page that only opens with a certificate from the practice CA. The TLS
//! layer has already refused everyone else; this greets the holder by name.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::est::{text, Reply};

/// The page for the holder of `peer_cert` (DER, verified by the handshake).
pub(crate) fn page(peer_cert: Option<&[u8]>) -> Reply {
    let Some(der) = peer_cert else {
        // Unreachable with the site's verifier (it requires a certificate); kept as a plain
        // refusal rather than a panic.
        return text(
            StatusCode::FORBIDDEN,
            "this practice site needs a certificate from the certdesk Practice CA\n",
        );
    };
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return text(
            StatusCode::BAD_REQUEST,
            "your certificate could not be read\n",
        );
    };
    let name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| cert.subject().to_string());
    let expires = cert
        .validity()
        .not_after
        .to_datetime()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| cert.validity().not_after.to_string());
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>certdesk practice site</title></head>\n<body>\n<h1>Hello, {name} — your certificate works</h1>\n<p>This page opened because your browser or tool presented a certificate issued by the certdesk Practice CA.</p>\n<dl>\n<dt>Subject</dt><dd>{subject}</dd>\n<dt>Issuer</dt><dd>{issuer}</dd>\n<dt>Expires</dt><dd>{expires}</dd>\n</dl>\n</body>\n</html>\n",
        name = escape(&name),
        subject = escape(&cert.subject().to_string()),
        issuer = escape(&cert.issuer().to_string()),
        expires = escape(&expires),
    );
    let mut r = Response::new(Full::new(Bytes::from(html)));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// HTML-escapes text (names come from a request and may hold `<`).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped() {
        assert_eq!(escape("<b>A&B</b>"), "&lt;b&gt;A&amp;B&lt;/b&gt;");
    }
}
