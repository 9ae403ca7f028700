//! Sending a waiting request: what a front end gathered (an address or the help-desk profile's,
//! credentials, how to trust the server) becomes one [`EnrollTarget`] by one set of rules, and
//! core's enrollment runs with it.
//!
//! Issue #13: the CLI and the app each built the target themselves, with different credential
//! rules, different https checks and different trust handling (the app kept a fingerprint as
//! typed, the CLI normalised it). Both now call [`prepare`] and [`enroll`]; the rules are
//! those the CLI had, which were the stricter ones:
//! - a token goes alone (`Authorization: Bearer`); a token with a user name or code is refused;
//! - a user name needs its code; a code without a user name goes with an empty one (many EST
//!   servers take a code alone);
//! - blank text counts as not given (a form's empty field, a file of only a newline);
//! - the address is checked as an enrollment address (https only, no credentials, no control
//!   characters) before the wallet is touched;
//! - a confirmed fingerprint is normalised to colon hex, a CA file must hold certificates.

use certdesk_core::enroll::{
    self, est,
    portal::{PortalMode, PortalUpload},
    AuthSettings, EnrollMethod, EnrollOutcome, EnrollTarget, TrustSettings,
};
use certdesk_core::secret::SecretString;
use certdesk_core::vault::SecretVault;
use certdesk_core::wallet::{KeyAccess, Wallet};
use certdesk_core::weburl::{UrlUse, WebUrl};

use crate::limits::ENROLL_TIMEOUT_SECS;
#[cfg(test)]
use crate::Error;
use crate::Result;

/// Where a request goes, as a person typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An EST server: `https://host[:port]` or its `/.well-known/est[/label]` address.
    Est {
        /// The address.
        url: String,
        /// The CA label on a server with several (blank = none).
        label: Option<String>,
    },
    /// A "paste or upload your request" web page.
    Portal {
        /// The address the page's form posts to.
        url: String,
        /// How the page takes the request.
        upload: PortalUpload,
        /// The form field (blank or absent: the way's default).
        field: Option<String>,
    },
    /// A SCEP server (RFC 8894): `http://` allowed, the CA is pinned by fingerprint instead.
    Scep {
        /// The address (without `?operation=`).
        url: String,
        /// The CA identifier sent with GetCACert (blank = none).
        ca_ident: Option<String>,
    },
}

/// The ways a request can be sent, as named in errors and profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    /// EST (RFC 7030).
    Est,
    /// A web page.
    Portal,
    /// SCEP (RFC 8894).
    Scep,
    /// An email to an administrator (no server).
    Email,
}

impl MethodKind {
    /// The method's name (`est`, `portal`, `email`): also the CLI's subcommand.
    pub fn as_str(self) -> &'static str {
        match self {
            MethodKind::Est => "est",
            MethodKind::Portal => "portal",
            MethodKind::Scep => "scep",
            MethodKind::Email => "email",
        }
    }

    fn of(method: &EnrollMethod) -> MethodKind {
        match method {
            EnrollMethod::Est { .. } => MethodKind::Est,
            EnrollMethod::Portal { .. } => MethodKind::Portal,
            EnrollMethod::Scep { .. } => MethodKind::Scep,
        }
    }
}

/// Credentials as given; blank text counts as absent.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// User name (HTTP Basic).
    pub user: Option<String>,
    /// The enrollment code or password.
    pub code: Option<SecretString>,
    /// A bearer token.
    pub token: Option<SecretString>,
}

/// How the person chose to trust the server.
#[derive(Debug, Clone, Default)]
pub struct TrustChoice {
    /// A CA file's bytes (PEM or DER) and a name for it in messages.
    pub ca_file: Option<(Vec<u8>, String)>,
    /// A SHA-256 fingerprint the person confirmed (any usual spelling).
    pub fingerprint: Option<String>,
    /// No verification at all (only from an explicit `--insecure`).
    pub insecure: bool,
}

impl TrustChoice {
    /// Whether the person chose anything (else a recorded or profile trust stays).
    pub fn is_given(&self) -> bool {
        self.ca_file.is_some() || self.fingerprint.is_some() || self.insecure
    }

    /// The recorded form: the CA file checked and kept as PEM, the fingerprint as colon hex.
    pub fn settings(&self) -> Result<TrustSettings> {
        let ca_pem = match &self.ca_file {
            Some((bytes, name)) => {
                let (certs, _, _) = certdesk_core::encoding::read_certificates(bytes, name)?;
                Some(
                    certs
                        .iter()
                        .map(|c| certdesk_core::cert::to_pem(c))
                        .collect(),
                )
            }
            None => None,
        };
        let pinned_sha256 = match self.fingerprint.as_deref().map(str::trim) {
            Some(fp) if !fp.is_empty() => Some(certdesk_core::csr::colon_hex(
                &certdesk_core::transport::parse_fingerprint(fp)?,
            )),
            _ => None,
        };
        Ok(TrustSettings {
            ca_pem,
            pinned_sha256,
            insecure: self.insecure,
        })
    }

    /// The SCEP CA pin this choice names: the fingerprint, or the CA file's first
    /// certificate's (`None` when neither was given). SCEP checks the CA certificate itself,
    /// not the TLS server, so the pin goes into the method, not the TLS trust.
    pub fn scep_pin(&self) -> Result<Option<String>> {
        if let Some(fp) = self
            .fingerprint
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
        {
            return Ok(Some(certdesk_core::csr::colon_hex(
                &certdesk_core::transport::parse_fingerprint(fp)?,
            )));
        }
        let Some((bytes, name)) = &self.ca_file else {
            return Ok(None);
        };
        let (certs, _, _) = certdesk_core::encoding::read_certificates(bytes, name)?;
        Ok(certs
            .first()
            .map(|first| certdesk_core::enroll::scep::fingerprint(first)))
    }
}

/// Everything a front end gathered for sending a waiting request.
#[derive(Debug, Clone, Default)]
pub struct EnrollRequest {
    /// Where to (`None`: where the identity's help-desk profile says).
    pub destination: Option<Destination>,
    /// Credentials.
    pub credentials: Credentials,
    /// Server trust (with a profile: overrides the profile's pin when given).
    pub trust: TrustChoice,
    /// Seconds for connecting and each answer (`None`: [`ENROLL_TIMEOUT_SECS`]).
    pub timeout_secs: Option<u64>,
    /// SCEP: the CA identifier, overriding the profile's (with a destination, its own wins).
    pub ca_ident: Option<String>,
}

/// Why a request cannot be sent as asked; each front end words the fix its own way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnrollProblem {
    /// No address given and no profile names one.
    #[error("this request was not made with a help-desk profile that names a server, so the server's address is needed")]
    NoAddress,
    /// The profile says to send the request by email.
    #[error("the profile \"{profile}\" ({origin}) says to send the request by email")]
    ProfileSaysEmail {
        /// The profile's display name.
        profile: String,
        /// Where it came from.
        origin: String,
    },
    /// The profile names another way than the one asked for.
    #[error("the profile \"{profile}\" ({origin}) enrolls through {}", method.as_str())]
    ProfileUsesOtherMethod {
        /// The profile's display name.
        profile: String,
        /// Where it came from.
        origin: String,
        /// The way the profile names.
        method: MethodKind,
    },
    /// Both a token and a user name or code.
    #[error("give either a user name and code (or password) or a token, not both")]
    TokenAndPassword,
    /// A user name without its code.
    #[error("a user name needs its code or password")]
    UserWithoutCode,
}

fn given(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

fn given_secret(secret: Option<SecretString>) -> Option<SecretString> {
    secret.filter(|s| !s.expose().trim().is_empty())
}

/// The credentials kind and the secret to send, by the rules in the module comment.
pub fn authentication(credentials: Credentials) -> Result<(AuthSettings, Option<SecretString>)> {
    let user = given(credentials.user.as_deref()).map(str::to_string);
    let code = given_secret(credentials.code);
    let token = given_secret(credentials.token);
    Ok(match (user, code, token) {
        (None, None, Some(token)) => (AuthSettings::Bearer, Some(token)),
        (_, _, Some(_)) => return Err(EnrollProblem::TokenAndPassword.into()),
        (Some(user), Some(code), None) => (AuthSettings::Basic { user }, Some(code)),
        (Some(_), None, None) => return Err(EnrollProblem::UserWithoutCode.into()),
        (None, Some(code), None) => (
            AuthSettings::Basic {
                user: String::new(),
            },
            Some(code),
        ),
        (None, None, None) => (AuthSettings::None, None),
    })
}

/// The enrollment method for a typed destination; the address is checked first.
pub fn method(destination: &Destination) -> Result<EnrollMethod> {
    Ok(match destination {
        Destination::Est { url, label } => EnrollMethod::Est {
            base: est::est_base(url.trim(), given(label.as_deref()))?,
        },
        Destination::Portal { url, upload, field } => {
            let url = WebUrl::parse(url.trim(), UrlUse::Enrollment)?;
            EnrollMethod::Portal {
                url: url.as_str().to_string(),
                mode: PortalMode::new(*upload, field.as_deref())?,
            }
        }
        Destination::Scep { url, ca_ident } => EnrollMethod::Scep {
            url: certdesk_core::enroll::scep::scep_url(url.trim())?,
            ca_sha256: None,
            ca_ident: given(ca_ident.as_deref()).map(str::to_string),
        },
    })
}

/// The help-desk profile a target came from, for front ends to name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSource {
    /// Its display name.
    pub name: String,
    /// Where it came from (`file …`, `link …`).
    pub origin: String,
}

/// A target ready to send, with its secret.
#[derive(Debug)]
pub struct Prepared {
    /// Where and how.
    pub target: EnrollTarget,
    /// The code, password or token.
    pub secret: Option<SecretString>,
    /// The profile the target came from, when no address was given.
    pub profile: Option<ProfileSource>,
}

/// Turns what a front end gathered into a target. Without a destination the identity's
/// help-desk profile names the server, which must use `expected` (the front end's way; an
/// EST command is not silently turned into a portal upload); given credentials and trust
/// override the profile's.
pub fn prepare(
    wallet: &Wallet,
    id: &str,
    expected: MethodKind,
    request: EnrollRequest,
) -> Result<Prepared> {
    let timeout_secs = request.timeout_secs.unwrap_or(ENROLL_TIMEOUT_SECS);
    if let Some(destination) = &request.destination {
        let mut method = method(destination)?;
        if let EnrollMethod::Scep { ca_sha256, .. } = &mut method {
            // The challenge travels inside the message, encrypted to the CA: no HTTP login.
            *ca_sha256 = request.trust.scep_pin()?;
            return Ok(Prepared {
                target: EnrollTarget {
                    method,
                    trust: TrustSettings::default(),
                    auth: AuthSettings::None,
                    timeout_secs,
                },
                secret: given_secret(request.credentials.code),
                profile: None,
            });
        }
        let (auth, secret) = authentication(request.credentials)?;
        return Ok(Prepared {
            target: EnrollTarget {
                method,
                trust: request.trust.settings()?,
                auth,
                timeout_secs,
            },
            secret,
            profile: None,
        });
    }
    let Some(loaded) = certdesk_core::profile::profile_of(wallet, id)? else {
        return Err(EnrollProblem::NoAddress.into());
    };
    let source = ProfileSource {
        name: loaded.profile.name.clone(),
        origin: loaded.origin.to_string(),
    };
    let Some(mut target) = enroll::target_from_profile(&loaded.profile)? else {
        return Err(EnrollProblem::ProfileSaysEmail {
            profile: source.name,
            origin: source.origin,
        }
        .into());
    };
    let method = MethodKind::of(&target.method);
    if method != expected {
        return Err(EnrollProblem::ProfileUsesOtherMethod {
            profile: source.name,
            origin: source.origin,
            method,
        }
        .into());
    }
    if let EnrollMethod::Scep {
        ca_sha256,
        ca_ident,
        ..
    } = &mut target.method
    {
        if let Some(pin) = request.trust.scep_pin()? {
            *ca_sha256 = Some(pin);
        }
        if let Some(ident) = given(request.ca_ident.as_deref()) {
            *ca_ident = Some(ident.to_string());
        }
    } else if request.trust.is_given() {
        target.trust = request.trust.settings()?;
    }
    target.timeout_secs = timeout_secs;
    // The profile fixes the kind of credentials; what was given fills it in.
    let Credentials { user, code, token } = request.credentials;
    if let (Some(user), AuthSettings::Basic { .. }) = (given(user.as_deref()), &target.auth) {
        target.auth = AuthSettings::Basic { user: user.into() };
    }
    let secret = match target.auth {
        AuthSettings::Bearer => given_secret(token).or(given_secret(code)),
        _ => given_secret(code).or(given_secret(token)),
    };
    Ok(Prepared {
        target,
        secret,
        profile: Some(source),
    })
}

/// Sends the waiting request `id` to a prepared target and stores the answer (core's
/// enrollment: pending state on disk first, the code in the keyring when `vault` has one).
/// `access` lets the key sign the request again to meet an EST server's `/csrattrs` wishes.
pub fn enroll(
    wallet: &Wallet,
    id: &str,
    prepared: Prepared,
    vault: Option<&dyn SecretVault>,
    access: Option<&KeyAccess>,
) -> Result<EnrollOutcome> {
    Ok(enroll::enroll_with_access(
        wallet,
        id,
        prepared.target,
        prepared.secret,
        vault,
        access,
    )?)
}

/// The target of a renewal: a new EST address when given; else the recorded one, with the
/// trust replaced when the person chose one; else `None` (core renews where it enrolled).
pub fn renewal_target(
    wallet: &Wallet,
    id: &str,
    request: EnrollRequest,
) -> Result<(Option<EnrollTarget>, Option<SecretString>)> {
    let trust_given = request.trust.is_given();
    if request.destination.is_some() {
        let prepared = prepare(wallet, id, MethodKind::Est, request)?;
        return Ok((Some(prepared.target), prepared.secret));
    }
    let (_, secret) = authentication(request.credentials)?;
    let target = match enroll::enrollment_state(wallet, id)? {
        Some(mut state) if trust_given => {
            state.target.trust = request.trust.settings()?;
            Some(state.target)
        }
        _ => None,
    };
    Ok((target, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> Option<SecretString> {
        Some(SecretString::new(text.to_string()))
    }

    #[test]
    fn credentials_follow_one_set_of_rules() {
        let auth = |user: Option<&str>, code: Option<&str>, token: Option<&str>| {
            authentication(Credentials {
                user: user.map(str::to_string),
                code: code.and_then(secret),
                token: token.and_then(secret),
            })
            .map(|(auth, secret)| (auth, secret.map(|s| s.expose().to_string())))
        };
        assert_eq!(
            auth(None, None, Some("t0k")).expect("token"),
            (AuthSettings::Bearer, Some("t0k".into()))
        );
        assert_eq!(
            auth(Some(" ada "), Some("c0de"), None).expect("basic"),
            (
                AuthSettings::Basic { user: "ada".into() },
                Some("c0de".into())
            )
        );
        assert_eq!(
            auth(None, Some("c0de"), None).expect("code alone"),
            (
                AuthSettings::Basic {
                    user: String::new()
                },
                Some("c0de".into())
            )
        );
        // Blank form fields are not given.
        assert_eq!(
            auth(Some("  "), Some(""), Some("\n")).expect("nothing"),
            (AuthSettings::None, None)
        );
        for (user, code, token, problem) in [
            (
                Some("ada"),
                None,
                Some("t"),
                EnrollProblem::TokenAndPassword,
            ),
            (None, Some("c"), Some("t"), EnrollProblem::TokenAndPassword),
            (Some("ada"), None, None, EnrollProblem::UserWithoutCode),
        ] {
            match auth(user, code, token) {
                Err(Error::Enroll(p)) => assert_eq!(p, problem),
                other => panic!("{user:?} {code:?} {token:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn addresses_are_checked_before_anything_else() {
        for url in [
            "http://ca.example.org/submit",
            "https://ada:secret@ca.example.org/submit",
            "https://ca.example.org/sub mit",
            "https://ca.example.org/\r\nX-Evil: 1",
        ] {
            let portal = Destination::Portal {
                url: url.into(),
                upload: PortalUpload::Form,
                field: None,
            };
            assert!(
                matches!(method(&portal), Err(Error::Core(_))),
                "{url} was accepted"
            );
            let est = Destination::Est {
                url: url.into(),
                label: None,
            };
            assert!(matches!(method(&est), Err(Error::Core(_))), "{url}");
        }
        assert_eq!(
            method(&Destination::Portal {
                url: " https://ca.example.org/submit ".into(),
                upload: PortalUpload::Multipart,
                field: Some(" ".into()),
            })
            .expect("portal"),
            EnrollMethod::Portal {
                url: "https://ca.example.org/submit".into(),
                mode: PortalMode::Multipart {
                    field: "file".into()
                },
            }
        );
        assert_eq!(
            method(&Destination::Est {
                url: "https://ca.example.org".into(),
                label: Some(String::new()),
            })
            .expect("est"),
            EnrollMethod::Est {
                base: "https://ca.example.org/.well-known/est".into()
            }
        );
    }

    #[test]
    fn a_confirmed_fingerprint_is_recorded_as_colon_hex() {
        let hex = "ab".repeat(32);
        let settings = TrustChoice {
            fingerprint: Some(format!(" {hex} ")),
            ..TrustChoice::default()
        }
        .settings()
        .expect("settings");
        let colon = settings.pinned_sha256.expect("pin");
        assert_eq!(colon.len(), 32 * 3 - 1);
        assert!(colon.starts_with("AB:AB:"), "{colon}");
        assert!(TrustChoice {
            fingerprint: Some("not a fingerprint".into()),
            ..TrustChoice::default()
        }
        .settings()
        .is_err());
        assert!(TrustChoice {
            ca_file: Some((b"not a certificate".to_vec(), "ca.pem".into())),
            ..TrustChoice::default()
        }
        .settings()
        .is_err());
    }
}
