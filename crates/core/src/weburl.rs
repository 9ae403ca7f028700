//! Every web address certdesk touches is read here, once: site checks, EST bases, upload portals,
//! profile downloads and links, CRL and OCSP addresses.
//!
//! The text is parsed by the `url` crate (WHATWG URL standard) after a check of the raw text,
//! because the standard *silently removes* tabs and line breaks from the middle of an address:
//! `https://host/a\r\nX-Evil: 1` would parse as `https://host/aX-Evil:%201`. A help-desk profile
//! or a `certdesk://` link is untrusted input, so an address with a control character or a space
//! inside is refused with a message of its own, never repaired. Surrounding whitespace (a pasted
//! line's newline) is trimmed first; it cannot reach the wire.
//!
//! An address may not carry `user:password@`: a code there would be written into
//! `enrollment.json`, the history, reports and error texts. What is sent is the normalised,
//! percent-encoded path and query ([`WebUrl::path_and_query`]); the fragment never is.

use crate::{Error, Result};

/// What an address is for; decides which schemes are allowed and how the messages read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlUse {
    /// A site to check with the certificate.
    Site,
    /// An enrollment server (EST, SCEP) or an upload portal: codes and requests travel there.
    Enrollment,
    /// A SCEP server: plain `http://` is allowed (NDES serves only that), because a SCEP
    /// request is signed and encrypted to a CA certificate that certdesk matches against a
    /// confirmed fingerprint before use (see `enroll::scep`).
    Scep,
    /// A help-desk profile to download.
    Profile,
    /// A CRL distribution point or OCSP responder named in a certificate. These are signed
    /// data that is commonly served over plain `http://` (RFC 5280 §4.2.1.13), so `http://` is
    /// allowed here and only here.
    Revocation,
}

impl UrlUse {
    fn field(self) -> &'static str {
        match self {
            UrlUse::Site => "site address",
            UrlUse::Enrollment => "enrollment address",
            UrlUse::Scep => "SCEP address",
            UrlUse::Profile => "profile address",
            UrlUse::Revocation => "revocation address",
        }
    }
}

/// Why an address was refused. The message of each is its own; [`UrlProblem::code`] names it
/// for `--json` and for front ends that branch on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlProblem {
    /// A control character (CR, LF, TAB, NUL, …) inside the address.
    ControlCharacter {
        /// Its position, counted in characters from the start of the trimmed address.
        at: usize,
        /// The character as `U+000D`.
        code_point: String,
    },
    /// A space (or other whitespace) inside the address.
    Whitespace {
        /// Its position, counted in characters.
        at: usize,
    },
    /// `user:password@` in the address.
    Credentials,
    /// `http://` where only `https://` is allowed.
    PlainHttp,
    /// Another scheme, or none.
    NotHttps {
        /// The scheme found, if any.
        scheme: Option<String>,
    },
    /// No host name.
    NoHost,
    /// The port is not a number from 1 to 65535.
    BadPort,
    /// The `url` crate could not read it.
    Malformed {
        /// The parser's reason.
        reason: String,
    },
}

impl UrlProblem {
    /// A stable code for scripts and front ends.
    pub fn code(&self) -> &'static str {
        match self {
            UrlProblem::ControlCharacter { .. } => "url_control_character",
            UrlProblem::Whitespace { .. } => "url_whitespace",
            UrlProblem::Credentials => "url_credentials",
            UrlProblem::PlainHttp => "insecure_url",
            UrlProblem::NotHttps { .. } => "url_not_https",
            UrlProblem::NoHost => "url_no_host",
            UrlProblem::BadPort => "url_bad_port",
            UrlProblem::Malformed { .. } => "url_malformed",
        }
    }

    /// The reason in words, without the address (callers quote it).
    pub fn reason(&self, usage: UrlUse) -> String {
        match self {
            UrlProblem::ControlCharacter { at, code_point } => format!(
                "it holds a control character ({code_point}) at position {at}; an address never contains one, and certdesk does not repair it because it could smuggle extra lines into the request"
            ),
            UrlProblem::Whitespace { at } => format!(
                "it holds a space at position {at}; a space inside an address must be written %20"
            ),
            UrlProblem::Credentials => match usage {
                UrlUse::Enrollment => "it carries a user name or password (user:password@); certdesk would then keep the code in files and reports: give the user with --user / `username` and the code separately".into(),
                _ => "it carries a user name or password (user:password@), which certdesk never sends or keeps".into(),
            },
            UrlProblem::PlainHttp => match usage {
                UrlUse::Enrollment => "it uses plain http://, but codes, requests and certificates must not travel unencrypted; certdesk only enrolls over https://".into(),
                UrlUse::Profile => "it uses plain http://, which anyone on the way can alter; certdesk only downloads profiles over https://".into(),
                _ => "it uses plain http://; certdesk only checks sites over https://".into(),
            },
            UrlProblem::NotHttps { scheme: Some(s) } => {
                format!("expected an https:// address, found the scheme \"{s}:\"")
            }
            UrlProblem::NotHttps { scheme: None } => "expected an https:// address".into(),
            UrlProblem::NoHost => "it has no host name".into(),
            UrlProblem::BadPort => "the port is not a number from 1 to 65535".into(),
            UrlProblem::Malformed { reason } => format!("it is not a web address ({reason})"),
        }
    }
}

/// A checked web address: `https://` (or `http://` for [`UrlUse::Revocation`]), a host, no
/// credentials, no control characters or spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl {
    url: url::Url,
}

impl WebUrl {
    /// Reads and checks `text` for `usage`. The error is [`Error::BadUrl`] with the problem.
    pub fn parse(text: &str, usage: UrlUse) -> Result<WebUrl> {
        WebUrl::check(text, usage).map_err(|problem| Error::BadUrl {
            field: usage.field().to_string(),
            url: shown(text),
            reason: problem.reason(usage),
            code: problem.code(),
        })
    }

    /// As [`WebUrl::parse`], with the problem as data.
    pub fn check(text: &str, usage: UrlUse) -> std::result::Result<WebUrl, UrlProblem> {
        let text = text.trim();
        // The first offending character is the one named.
        let bad = text
            .chars()
            .enumerate()
            .find(|(_, c)| c.is_control() || c.is_whitespace());
        match bad {
            Some((at, c)) if c.is_control() => {
                return Err(UrlProblem::ControlCharacter {
                    at,
                    code_point: format!("U+{:04X}", u32::from(c)),
                })
            }
            Some((at, _)) => return Err(UrlProblem::Whitespace { at }),
            None => {}
        }
        let lower = text.to_ascii_lowercase();
        let http = lower.starts_with("http://");
        if http && !matches!(usage, UrlUse::Revocation | UrlUse::Scep) {
            return Err(UrlProblem::PlainHttp);
        }
        if !http && !lower.starts_with("https://") {
            let scheme = text
                .split_once(':')
                .map(|(s, _)| s.to_string())
                .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()));
            return Err(UrlProblem::NotHttps { scheme });
        }
        let url = match url::Url::parse(text) {
            Ok(url) => url,
            Err(url::ParseError::EmptyHost) => return Err(UrlProblem::NoHost),
            Err(url::ParseError::InvalidPort) => return Err(UrlProblem::BadPort),
            Err(e) => {
                return Err(UrlProblem::Malformed {
                    reason: e.to_string(),
                })
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlProblem::Credentials);
        }
        match url.host_str() {
            Some(h) if !h.is_empty() => {}
            _ => return Err(UrlProblem::NoHost),
        }
        if url.port() == Some(0) {
            return Err(UrlProblem::BadPort);
        }
        Ok(WebUrl { url })
    }

    /// The host as used for DNS, SNI and certificate names: a name, an IPv4 address, or an
    /// IPv6 address without brackets.
    pub fn host(&self) -> String {
        match self.url.host() {
            Some(url::Host::Ipv6(a)) => a.to_string(),
            Some(h) => h.to_string(),
            None => String::new(),
        }
    }

    /// The port, or the scheme's default.
    pub fn port(&self) -> u16 {
        self.url
            .port_or_known_default()
            .unwrap_or(if self.is_https() { 443 } else { 80 })
    }

    /// `host[:port]` as an HTTP `Host` header carries it (brackets around IPv6, the port only
    /// when it is not the default).
    pub fn host_header(&self) -> String {
        let host = match self.url.host() {
            Some(url::Host::Ipv6(a)) => format!("[{a}]"),
            Some(h) => h.to_string(),
            None => String::new(),
        };
        match self.url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    }

    /// The normalised, percent-encoded path and query: what goes on the request line. Never
    /// empty (`/`); never holds a fragment, a space or a control character.
    pub fn path_and_query(&self) -> String {
        let mut out = self.url.path().to_string();
        if out.is_empty() {
            out.push('/');
        }
        if let Some(q) = self.url.query() {
            out.push('?');
            out.push_str(q);
        }
        out
    }

    /// `https://` (else `http://`, only for revocation addresses).
    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// The normalised address, without a fragment.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The parsed URL, for clients that take one.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// Whether both addresses have the same scheme, host and port (RFC 6454 origin).
    pub fn same_origin(&self, other: &WebUrl) -> bool {
        self.url.origin() == other.url.origin()
    }
}

/// The address as it may be shown in a message: control characters written as `\u{..}`, so a
/// hostile address cannot forge lines in a terminal or a report; credentials hidden.
pub fn shown(text: &str) -> String {
    let text = text.trim();
    let hidden = hide_credentials(text);
    let mut out = String::with_capacity(hidden.len());
    for c in hidden.chars().take(300) {
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    if hidden.chars().count() > 300 {
        out.push('…');
    }
    out
}

/// `https://user:secret@host/…` → `https://***@host/…`; anything else unchanged.
fn hide_credentials(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str, usage: UrlUse) -> UrlProblem {
        WebUrl::check(text, usage).expect_err(text)
    }

    #[test]
    fn sites_are_split_into_host_port_and_normalised_path() {
        let u = WebUrl::parse("https://example.org", UrlUse::Site).expect("url");
        assert_eq!(
            (u.host(), u.port(), u.path_and_query()),
            ("example.org".into(), 443, "/".into())
        );
        assert_eq!(u.host_header(), "example.org");
        let u =
            WebUrl::parse("https://127.0.0.1:8443/secure/x?y=1#frag", UrlUse::Site).expect("url");
        assert_eq!(
            (u.host(), u.port(), u.path_and_query()),
            ("127.0.0.1".into(), 8443, "/secure/x?y=1".into())
        );
        assert_eq!(u.host_header(), "127.0.0.1:8443");
        let u = WebUrl::parse("https://[::1]:9000/", UrlUse::Site).expect("url");
        assert_eq!((u.host(), u.port()), ("::1".into(), 9000));
        assert_eq!(u.host_header(), "[::1]:9000");
        // Characters that must not appear raw on a request line are percent-encoded.
        let u = WebUrl::parse("https://h/a\"b<c>?q=\"x\"", UrlUse::Site).expect("url");
        assert_eq!(u.path_and_query(), "/a%22b%3Cc%3E?q=%22x%22");
        // Surrounding whitespace (a pasted line) is trimmed.
        let u = WebUrl::parse("  https://h/p\r\n", UrlUse::Site).expect("url");
        assert_eq!(u.as_str(), "https://h/p");
    }

    #[test]
    fn line_breaks_tabs_and_spaces_inside_are_refused_not_repaired() {
        // The url crate alone would silently drop the CR/LF and TAB and send the rest.
        assert!(url::Url::parse("https://h/a\r\nX-Evil: 1").is_ok());
        assert_eq!(
            problem("https://h/a\r\nX-Evil: 1", UrlUse::Site),
            UrlProblem::ControlCharacter {
                at: 11,
                code_point: "U+000D".into()
            }
        );
        assert_eq!(
            problem("https://h/a\nGET /admin HTTP/1.1", UrlUse::Site).code(),
            "url_control_character"
        );
        assert_eq!(
            problem("https://h/a\tb", UrlUse::Enrollment).code(),
            "url_control_character"
        );
        assert_eq!(
            problem("https://h/a%00b\0", UrlUse::Profile).code(),
            "url_control_character"
        );
        assert_eq!(
            problem("https://h/a b", UrlUse::Site),
            UrlProblem::Whitespace { at: 11 }
        );
        // A no-break space is whitespace too.
        assert_eq!(
            problem("https://h/a\u{a0}b", UrlUse::Site).code(),
            "url_whitespace"
        );
    }

    #[test]
    fn credentials_schemes_hosts_and_ports_each_have_their_own_problem() {
        for text in [
            "https://user:CODE@h/",
            "https://user@h/",
            "https://:CODE@h/.well-known/est",
        ] {
            assert_eq!(problem(text, UrlUse::Enrollment), UrlProblem::Credentials);
        }
        assert_eq!(problem("http://h/", UrlUse::Site), UrlProblem::PlainHttp);
        assert_eq!(problem("HTTP://h/", UrlUse::Profile), UrlProblem::PlainHttp);
        assert_eq!(
            problem("ftp://h/", UrlUse::Site),
            UrlProblem::NotHttps {
                scheme: Some("ftp".into())
            }
        );
        assert_eq!(
            problem("example.org", UrlUse::Site),
            UrlProblem::NotHttps { scheme: None }
        );
        assert_eq!(problem("https://", UrlUse::Site), UrlProblem::NoHost);
        assert_eq!(problem("https://:443/", UrlUse::Site), UrlProblem::NoHost);
        assert_eq!(
            problem("https://h:99999/", UrlUse::Site),
            UrlProblem::BadPort
        );
        assert_eq!(problem("https://h:0/", UrlUse::Site), UrlProblem::BadPort);
        assert_eq!(problem("https://h:x/", UrlUse::Site), UrlProblem::BadPort);
        // Revocation addresses may be plain http, and still not carry credentials.
        let crl = WebUrl::parse("http://crl.example/ca.crl", UrlUse::Revocation).expect("crl");
        assert_eq!((crl.port(), crl.is_https()), (80, false));
        assert_eq!(
            problem("http://u:p@crl.example/ca.crl", UrlUse::Revocation),
            UrlProblem::Credentials
        );
    }

    #[test]
    fn origins_compare_scheme_host_and_port_not_text() {
        let site = WebUrl::parse("https://127.0.0.1:18444/", UrlUse::Site).expect("site");
        let same = |t: &str| WebUrl::check(t, UrlUse::Site).is_ok_and(|u| u.same_origin(&site));
        assert!(same("https://127.0.0.1:18444/page?x=1"));
        assert!(same("HTTPS://127.0.0.1:18444"));
        assert!(!same("https://127.0.0.1:184440/"));
        assert!(!same("https://127.0.0.1:18445/"));
        assert!(!same("https://127.0.0.1:18444@evil.example/"));
        assert!(!same("https://localhost:18444/"));
    }

    #[test]
    fn errors_quote_the_address_without_its_secret_or_its_control_characters() {
        let e = WebUrl::parse("https://alice:S3cret-Code@est.example/", UrlUse::Enrollment)
            .expect_err("credentials");
        let text = format!("{e} {}", e.hint().unwrap_or_default());
        assert!(!text.contains("S3cret-Code"), "{text}");
        assert!(text.contains("https://***@est.example/"), "{text}");
        let e = WebUrl::parse("https://h/a\r\nX-Evil: 1", UrlUse::Site).expect_err("crlf");
        let text = e.to_string();
        assert!(!text.contains('\r') && !text.contains('\n'), "{text:?}");
        assert!(text.contains("\\u{d}\\u{a}X-Evil"), "{text}");
    }
}
