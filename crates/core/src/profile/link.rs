//! Profiles from the network: `certdesk://profile?url=…[&sha256=…]` links and `https://`
//! addresses (issue #7). A profile is downloaded with [`crate::transport::send`] (https only,
//! [`MAX_PROFILE_BYTES`], the caller's [`ServerTrust`]), checked against the link's SHA-256
//! when it carries one, and validated like a file; its origin is the URL it came from.

use sha2::{Digest, Sha256};

use super::{normalise_sha256, parse_profile, LoadedProfile, ProfileOrigin};
use crate::transport::{self, HttpRequest, ServerTrust};
use crate::weburl::{shown, UrlProblem, UrlUse, WebUrl};
use crate::{Error, Result};

/// Largest profile certdesk downloads: real profiles are a few KiB.
pub const MAX_PROFILE_BYTES: usize = 64 * 1024;

/// The URL scheme of profile links.
pub const LINK_SCHEME: &str = "certdesk";

/// A parsed `certdesk://profile?url=<percent-encoded https URL>[&sha256=<hex>]` link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileLink {
    /// The profile's `https://` address.
    pub url: String,
    /// SHA-256 of the profile file (upper-case colon hex) the download must match.
    pub sha256: Option<String>,
}

fn bad_link(link: &str, reason: impl Into<String>) -> Error {
    Error::ProfileLink {
        link: link.to_string(),
        code: "bad_link",
        reason: reason.into(),
    }
}

/// Refuses anything but a usable `https://host…` address (see [`crate::weburl`]), with a
/// message of its own for `http://`.
fn require_https(url: &str, shown_as: &str) -> Result<()> {
    let usage = UrlUse::Profile;
    match WebUrl::check(url, usage) {
        Ok(_) => Ok(()),
        Err(problem) => Err(Error::ProfileLink {
            link: shown(shown_as),
            code: if problem == UrlProblem::PlainHttp {
                "insecure_url"
            } else {
                "bad_link"
            },
            reason: format!(
                "the profile address {} cannot be used: {}",
                shown(url),
                problem.reason(usage)
            ),
        }),
    }
}

fn percent_decode(text: &str, link: &str, name: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        let shown: String = text[i..].chars().take(3).collect();
                        bad_link(
                            link,
                            format!(
                                "the {name} parameter has a broken percent-encoding at \"{shown}\" (a % must be followed by two hex digits)"
                            ),
                        )
                    })?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| {
        bad_link(
            link,
            format!("the {name} parameter does not decode to UTF-8 text"),
        )
    })
}

/// Parses a `certdesk://profile?url=<percent-encoded https URL>[&sha256=<hex>]` link.
/// Pure: nothing is downloaded. Refuses another scheme or action, a missing or repeated `url`,
/// an `http://` URL, broken percent-encoding, a malformed `sha256` and unknown parameters.
pub fn parse_profile_link(link: &str) -> Result<ProfileLink> {
    let trimmed = link.trim();
    let Some((scheme, rest)) = trimmed.split_once(':') else {
        return Err(bad_link(
            trimmed,
            "this is not a certdesk:// link (it has no scheme)",
        ));
    };
    if !scheme.eq_ignore_ascii_case(LINK_SCHEME) {
        return Err(bad_link(
            trimmed,
            format!("this is a {scheme}: link, not a certdesk:// link"),
        ));
    }
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (action, query) = rest.split_once('?').unwrap_or((rest, ""));
    let action = action.trim_end_matches('/');
    if !action.eq_ignore_ascii_case("profile") {
        return Err(bad_link(
            trimmed,
            format!(
                "certdesk links open profiles (certdesk://profile?url=…), this one asks for \"{action}\""
            ),
        ));
    }
    let query = query.split('#').next().unwrap_or_default();
    let mut url = None;
    let mut sha256 = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "url" if url.is_some() => {
                return Err(bad_link(trimmed, "the link names more than one url"));
            }
            "url" => url = Some(percent_decode(value, trimmed, "url")?),
            "sha256" if sha256.is_some() => {
                return Err(bad_link(trimmed, "the link names more than one sha256"));
            }
            "sha256" => {
                let hex = percent_decode(value, trimmed, "sha256")?;
                sha256 = Some(
                    normalise_sha256(&hex)
                        .map_err(|why| bad_link(trimmed, format!("the sha256 parameter {why}")))?,
                );
            }
            other => {
                return Err(bad_link(
                    trimmed,
                    format!(
                        "the link has the parameter \"{other}\", which certdesk does not know (only url and sha256)"
                    ),
                ));
            }
        }
    }
    let url = url.filter(|u| !u.trim().is_empty()).ok_or_else(|| {
        bad_link(
            trimmed,
            "the link has no url=… parameter saying where the profile is",
        )
    })?;
    let url = url.trim().to_string();
    require_https(&url, trimmed)?;
    Ok(ProfileLink { url, sha256 })
}

impl ProfileLink {
    /// The `certdesk://profile?url=…[&sha256=…]` link ([`parse_profile_link`] reads it back):
    /// the URL percent-encoded except RFC 3986's unreserved characters, the SHA-256 as plain
    /// upper-case hex (what `sha256sum` prints, upper-cased).
    pub fn to_link(&self) -> String {
        let mut out = format!("{LINK_SCHEME}://profile?url=");
        for b in self.url.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        if let Some(sha) = &self.sha256 {
            out.push_str("&sha256=");
            out.push_str(&sha.replace(':', ""));
        }
        out
    }

    /// Checks downloaded profile bytes against the link's `sha256`, if it carries one.
    pub fn check_sha256(&self, bytes: &[u8]) -> Result<()> {
        let Some(expected) = &self.sha256 else {
            return Ok(());
        };
        let found = crate::csr::colon_hex(&Sha256::digest(bytes));
        if &found == expected {
            Ok(())
        } else {
            Err(Error::ProfileLink {
                link: self.url.clone(),
                code: "sha256_mismatch",
                reason: format!(
                    "the downloaded profile has SHA-256 {found}, but the link says {expected}; certdesk refuses it"
                ),
            })
        }
    }
}

use crate::html::page_title as html_title;

/// Downloads profile bytes from an `https://` address.
fn download(url: &str, trust: ServerTrust) -> Result<Vec<u8>> {
    require_https(url, url)?;
    let mut request = HttpRequest::get(url);
    request.trust = trust;
    request.max_body = MAX_PROFILE_BYTES;
    request.headers.push((
        "Accept".into(),
        "application/x-certdesk-profile, application/toml, text/plain;q=0.9, */*;q=0.1".into(),
    ));
    let response = match transport::send(&request) {
        Ok(r) => r,
        Err(Error::ResponseTooLarge { .. }) => {
            return Err(Error::ProfileLink {
                link: url.to_string(),
                code: "too_large",
                reason: format!(
                    "the answer is larger than {} KiB, far more than a profile; certdesk stopped reading it",
                    MAX_PROFILE_BYTES / 1024
                ),
            })
        }
        Err(e) => return Err(e),
    };
    match response.status {
        200 => {}
        404 => {
            return Err(Error::ProfileLink {
                link: url.to_string(),
                code: "not_found",
                reason: "there is no profile at this address (404 Not Found)".into(),
            })
        }
        _ => {
            return Err(crate::enroll::est::status_error(
                &response, url, "profile", false,
            ))
        }
    }
    if let Some(title) = html_title(&response.body) {
        return Err(Error::ProfileLink {
            link: url.to_string(),
            code: "html_page",
            reason: format!(
                "expected a help-desk profile, found a web page{}",
                title
                    .map(|t| format!(" titled \"{t}\""))
                    .unwrap_or_default()
            ),
        });
    }
    Ok(response.body)
}

fn to_text(bytes: Vec<u8>, url: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| Error::ProfileLink {
        link: url.to_string(),
        code: "not_text",
        reason: "the download is not UTF-8 text, so it is not a profile".into(),
    })
}

/// Downloads a profile from an `https://` URL (http:// is refused) with `trust`, at most
/// [`MAX_PROFILE_BYTES`], and validates it; its origin is [`ProfileOrigin::Url`].
pub fn fetch_profile(url: &str, trust: ServerTrust) -> Result<LoadedProfile> {
    let url = url.trim();
    let text = to_text(download(url, trust)?, url)?;
    parse_profile(&text, ProfileOrigin::Url(url.to_string()))
}

/// Downloads the profile a link points to, refuses it when it does not match the link's
/// `sha256`, and validates it; its origin is the link's URL.
pub fn fetch_profile_link(link: &ProfileLink, trust: ServerTrust) -> Result<LoadedProfile> {
    let bytes = download(&link.url, trust)?;
    link.check_sha256(&bytes)?;
    let text = to_text(bytes, &link.url)?;
    parse_profile(&text, ProfileOrigin::Url(link.url.clone()))
}

/// Whether a command-line or launch argument names a profile on the network (`https://`,
/// `http://` — to refuse it with its own message — or a `certdesk:` link) rather than a file.
pub fn is_remote_source(source: &str) -> bool {
    let lower = source.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with(&format!("{LINK_SCHEME}:"))
}

/// Opens a profile from what a person gave: a `certdesk://profile?…` link, an `https://` URL,
/// or a file path. `trust` applies to downloads only.
pub fn open_profile_source(source: &str, trust: ServerTrust) -> Result<LoadedProfile> {
    let trimmed = source.trim();
    if trimmed
        .to_ascii_lowercase()
        .starts_with(&format!("{LINK_SCHEME}:"))
    {
        fetch_profile_link(&parse_profile_link(trimmed)?, trust)
    } else if is_remote_source(trimmed) {
        fetch_profile(trimmed, trust)
    } else {
        super::load_profile(std::path::Path::new(source))
    }
}

#[cfg(test)]
mod tests;
