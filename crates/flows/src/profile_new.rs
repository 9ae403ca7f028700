//! `certdesk profile new` (issue #16): a help-desk profile made from the enrollment server
//! itself. The server is asked over TLS (EST `/cacerts`, or the portal page) with the trust the
//! help desk gave (a CA file or a confirmed fingerprint; without either, this computer's roots,
//! and an untrusted server ends in [`certdesk_core::Error::ServerNotTrusted`], which names the
//! CA's subject and SHA-256 to confirm). The issuing CAs the server announces are returned for
//! the help desk to see, `/csrattrs` proposes the key type, and the file is validated by the
//! same checker that reads profiles ([`certdesk_core::profile::check_profile`]) before it is
//! handed back.

use std::time::Duration;

use certdesk_core::enroll::est::{self, EstOperation};
use certdesk_core::key::KeySpec;
use certdesk_core::profile::{
    check_profile, normalise_sha256, LoadedProfile, ProfileOrigin, ProfileProblem,
};
use certdesk_core::transport::{self, HttpRequest, ServerTrust};
use certdesk_core::Error as CoreError;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Result;

/// How the profile's users enroll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewEnrollment {
    /// An EST server (`https://host[/.well-known/est]`) with an optional CA label.
    Est {
        /// The address.
        url: String,
        /// The CA label.
        label: Option<String>,
    },
    /// An upload portal.
    Portal {
        /// The page that takes the request.
        url: String,
    },
}

/// What the help desk gave.
#[derive(Debug, Clone)]
pub struct NewProfile {
    /// Display name.
    pub name: String,
    /// Whom users ask (`support`).
    pub contact: String,
    /// How to enroll.
    pub enrollment: NewEnrollment,
    /// CA certificate(s), PEM or DER, that the server's TLS chain ends in (`--ca-file`).
    pub ca_file: Option<Vec<u8>>,
    /// SHA-256 of the server's CA, confirmed by the help desk (`--trust-fingerprint`).
    pub trust_fingerprint: Option<String>,
    /// A fixed user name (`username`); `None`: each user types theirs.
    pub username: Option<String>,
    /// Sites to test after enrollment.
    pub sites: Vec<String>,
    /// O, fixed.
    pub organization: Option<String>,
    /// OU, fixed.
    pub organizational_unit: Option<String>,
    /// Limit of each request to the server.
    pub timeout: Duration,
}

/// A certificate shown to the help desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShownCertificate {
    /// Subject DN.
    pub subject: String,
    /// SHA-256, colon hex.
    pub sha256: String,
}

/// The profile made, validated, with what was learnt from the server.
#[derive(Debug, Clone)]
pub struct MadeProfile {
    /// The profile file's text.
    pub text: String,
    /// The same, as the checker read it (its `sha256` is the file's).
    pub loaded: LoadedProfile,
    /// The server CA pinned in the profile (`ca_sha256`), when one is; `None` when this
    /// computer's roots trust the server.
    pub pinned: Option<ShownCertificate>,
    /// The CA certificates the EST server announces in `/cacerts` (the issuers of users'
    /// certificates).
    pub issuing_cas: Vec<ShownCertificate>,
    /// The key type `/csrattrs` asks for, if any.
    pub key_wish: Option<KeySpec>,
}

// The file as written, in the order TOML wants (values before tables).
#[derive(Serialize)]
struct FileProfile<'a> {
    format: u32,
    name: &'a str,
    support: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_keys: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_key: Option<&'static str>,
    enroll: FileEnroll<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<FileSubject<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sites: Vec<FileSite<'a>>,
}

#[derive(Serialize)]
struct FileEnroll<'a> {
    method: &'static str,
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_sha256: Option<&'a str>,
    auth: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
}

#[derive(Serialize)]
struct FileSubject<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organizational_unit: Option<&'a str>,
}

#[derive(Serialize)]
struct FileSite<'a> {
    url: &'a str,
}

fn invalid(problems: Vec<ProfileProblem>) -> crate::Error {
    CoreError::InvalidProfile {
        source_name: "the new profile".into(),
        problems,
    }
    .into()
}

fn shown(der: &[u8]) -> ShownCertificate {
    ShownCertificate {
        subject: certdesk_core::cert::parse_certificate(der)
            .map(|i| i.subject)
            .unwrap_or_else(|_| "(unreadable certificate)".into()),
        sha256: certdesk_core::csr::colon_hex(&Sha256::digest(der)),
    }
}

/// The profile's text for `spec` with `pin` and `key`.
fn profile_text(spec: &NewProfile, pin: Option<&str>, key: Option<KeySpec>) -> Result<String> {
    let (method, url, label) = match &spec.enrollment {
        NewEnrollment::Est { url, label } => ("est", url.as_str(), label.as_deref()),
        NewEnrollment::Portal { url } => ("portal", url.as_str(), None),
    };
    let subject = (spec.organization.is_some() || spec.organizational_unit.is_some()).then_some(
        FileSubject {
            organization: spec.organization.as_deref(),
            organizational_unit: spec.organizational_unit.as_deref(),
        },
    );
    let file = FileProfile {
        format: certdesk_core::profile::FORMAT_VERSION,
        name: spec.name.trim(),
        support: spec.contact.trim(),
        allowed_keys: key.map(|k| vec![k.as_str()]),
        default_key: key.map(KeySpec::as_str),
        enroll: FileEnroll {
            method,
            url,
            label,
            ca_sha256: pin,
            auth: "one-time-code",
            username: spec.username.as_deref().map(str::trim),
        },
        subject,
        sites: spec.sites.iter().map(|u| FileSite { url: u }).collect(),
    };
    toml::to_string(&file).map_err(|e| {
        CoreError::InvalidField {
            field: "profile".into(),
            reason: format!("could not write the profile: {e}"),
        }
        .into()
    })
}

/// Makes the profile (see the module documentation). Errors: the help desk's input as the
/// checker's [`CoreError::InvalidProfile`] problems, an unusable fingerprint or CA file, and
/// the server's own errors (untrusted, unreachable, no EST service).
pub fn make_profile(spec: &NewProfile) -> Result<MadeProfile> {
    // What the help desk vouched for: the fingerprint, else the top certificate of the CA file.
    let ca_file_certs = match &spec.ca_file {
        Some(bytes) => certdesk_core::encoding::read_certificates(bytes, "--ca-file")?.0,
        None => Vec::new(),
    };
    let pin = match (&spec.trust_fingerprint, ca_file_certs.last()) {
        (Some(fp), _) => Some(normalise_sha256(fp).map_err(|why| CoreError::InvalidField {
            field: "trust-fingerprint".into(),
            reason: why,
        })?),
        (None, Some(top)) => Some(shown(top).sha256),
        (None, None) => None,
    };
    // The draft is checked before anything is sent: a plain-http or malformed address is the
    // checker's problem with its own words.
    let draft = profile_text(spec, pin.as_deref(), None)?;
    let checked =
        check_profile(&draft, ProfileOrigin::Url("the new profile".into())).map_err(invalid)?;
    let pinned_bytes = pin.as_deref().map(|p| {
        let mut out = [0u8; 32];
        for (slot, byte) in out.iter_mut().zip(p.split(':')) {
            *slot = u8::from_str_radix(byte, 16).unwrap_or_default();
        }
        out
    });
    let trust = ServerTrust {
        ca_pem: spec.ca_file.clone(),
        pinned_sha256: pinned_bytes,
        insecure_skip_verify: false,
    };
    let mut issuing_cas = Vec::new();
    let target = certdesk_core::enroll::target_from_profile(&checked.profile)?;
    match target.as_ref().map(|t| &t.method) {
        Some(certdesk_core::enroll::EnrollMethod::Est { base }) => {
            let url = est::operation_url(base, EstOperation::CaCerts);
            let request = HttpRequest {
                trust: trust.clone(),
                timeout: spec.timeout,
                ..HttpRequest::get(url.clone())
            };
            let answer = transport::send(&request)?;
            if answer.status != 200 {
                return Err(est::status_error(&answer, &url, "EST", false).into());
            }
            let (certs, _, _) = certdesk_core::encoding::read_certificates(&answer.body, &url)?;
            issuing_cas = certs.iter().map(|c| shown(c)).collect();
        }
        Some(certdesk_core::enroll::EnrollMethod::Portal { url, .. }) => {
            // Only the TLS connection matters here: any HTTP answer proves the trust.
            let request = HttpRequest {
                trust: trust.clone(),
                timeout: spec.timeout,
                ..HttpRequest::get(url.clone())
            };
            transport::send(&request)?;
        }
        // `profile new` writes EST and portal profiles only (NewEnrollment has no SCEP yet).
        Some(certdesk_core::enroll::EnrollMethod::Scep { .. }) | None => {}
    }
    let key_wish = certdesk_core::enroll::profile_key_wish(&checked.profile).map(|w| w.key);
    let text = profile_text(spec, pin.as_deref(), key_wish)?;
    let loaded =
        check_profile(&text, ProfileOrigin::Url("the new profile".into())).map_err(invalid)?;
    let pinned = pin.map(|sha256| {
        ca_file_certs
            .iter()
            .map(|c| shown(c))
            .chain(issuing_cas.iter().cloned())
            .find(|c| c.sha256 == sha256)
            .unwrap_or(ShownCertificate {
                subject: "(a certificate in the server's TLS chain)".into(),
                sha256,
            })
    });
    Ok(MadeProfile {
        text,
        loaded,
        pinned,
        issuing_cas,
        key_wish,
    })
}
