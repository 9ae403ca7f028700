//! Help-desk enrollment profiles: a small, versioned TOML file a help desk writes once and
//! hands to every user (issue #7). It says how to enroll (EST, a CSR-upload portal or email),
//! which CA to expect, what goes into the request, which key types are allowed, how to package
//! and install the result and which sites prove that it works.
//!
//! Parsing is strict (`deny_unknown_fields`) and validation reports **every** problem it finds,
//! each with the line and column of the offending key or value and a plain message. A profile
//! can never switch off the verification of the enrollment server: keys such as `insecure`,
//! `verify = false`, `skip_verify` or `danger…` are refused with a message of their own,
//! wherever they appear. Where a profile came from ([`ProfileOrigin`]) travels with it so that
//! the CLI and the app always show it. The format is documented in `docs/profile-format.md`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::csr::{colon_hex, SubjectSpec};
use crate::key::KeySpec;
use crate::pkcs12::P12Profile;
use crate::weburl::{shown, UrlProblem, UrlUse, WebUrl};
use crate::{Error, Result};

mod link;
pub use link::{
    fetch_profile, fetch_profile_link, is_remote_source, open_profile_source, parse_profile_link,
    ProfileLink, LINK_SCHEME, MAX_PROFILE_BYTES,
};

/// The profile format version this certdesk reads (`format = 1` or `"certdesk-profile/1"`).
pub const FORMAT_VERSION: u32 = 1;

/// Where a profile came from. Always shown next to the profile's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "location")]
pub enum ProfileOrigin {
    /// Opened from a file.
    File(PathBuf),
    /// Opened from a `certdesk://` link or downloaded from this URL.
    Url(String),
}

impl fmt::Display for ProfileOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileOrigin::File(p) => write!(f, "file {}", p.display()),
            ProfileOrigin::Url(u) => write!(f, "link {u}"),
        }
    }
}

/// How the enrollment server checks who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    /// A user name and a one-time enrollment code (HTTP Basic).
    OneTimeCode,
    /// A user name and a password (HTTP Basic).
    Password,
    /// A bearer token.
    Token,
    /// No authentication.
    None,
}

impl AuthKind {
    const NAMES: [(&'static str, AuthKind); 4] = [
        ("one-time-code", AuthKind::OneTimeCode),
        ("password", AuthKind::Password),
        ("token", AuthKind::Token),
        ("none", AuthKind::None),
    ];

    /// The profile spelling.
    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .unwrap_or("none")
    }
}

/// How a portal takes the request: the one type the CLI, the app and profiles share.
pub use crate::enroll::portal::PortalUpload;

/// The enrollment method with what it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum EnrollMethod {
    /// EST (RFC 7030).
    Est {
        /// The server's base URL (`https://host[:port]`, optionally with `/.well-known/est`).
        url: String,
        /// The CA label (`/.well-known/est/<label>/…`), when the server has several CAs.
        label: Option<String>,
    },
    /// A web page taking a CSR.
    Portal {
        /// Where the request is posted.
        url: String,
        /// The form field carrying the request (absent for `raw`).
        field: Option<String>,
        /// How the request is sent.
        upload: PortalUpload,
    },
    /// A SCEP server (RFC 8894); `ca_sha256` of the `[enroll]` table is then the SCEP CA
    /// certificate's fingerprint (required over plain `http://`, NDES's usual address).
    Scep {
        /// The SCEP address (`http://host/certsrv/mscep/mscep.dll`, `https://host/scep`, …).
        url: String,
        /// The CA identifier sent with GetCACert, for servers that host several CAs.
        ca_ident: Option<String>,
    },
    /// An email to an administrator, who sends the certificate back.
    Email {
        /// The administrator's address.
        to: String,
    },
}

impl EnrollMethod {
    /// `est`, `portal` or `email`.
    pub fn name(&self) -> &'static str {
        match self {
            EnrollMethod::Est { .. } => "est",
            EnrollMethod::Portal { .. } => "portal",
            EnrollMethod::Scep { .. } => "scep",
            EnrollMethod::Email { .. } => "email",
        }
    }

    /// The enrollment URL, for EST and portals.
    pub fn url(&self) -> Option<&str> {
        match self {
            EnrollMethod::Est { url, .. }
            | EnrollMethod::Portal { url, .. }
            | EnrollMethod::Scep { url, .. } => Some(url),
            EnrollMethod::Email { .. } => None,
        }
    }
}

/// The `[enroll]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnrollSpec {
    /// Method and its details.
    #[serde(flatten)]
    pub method: EnrollMethod,
    /// SHA-256 fingerprint of the CA the enrollment server's certificate must chain to,
    /// normalised to upper-case colon hex. Absent: the OS roots decide.
    pub ca_sha256: Option<String>,
    /// How the user authenticates.
    pub auth: AuthKind,
    /// A fixed user name, when the help desk gives one to everybody (else the user types it).
    pub username: Option<String>,
}

/// The `[subject]` table: what goes into the request besides the user's name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SubjectTemplate {
    /// A preset name (CN); the user's `--name` replaces it unless `lock_name`.
    pub name: Option<String>,
    /// The user may not change the name.
    pub lock_name: bool,
    /// O, fixed.
    pub organization: Option<String>,
    /// OU, fixed.
    pub organizational_unit: Option<String>,
    /// L, fixed.
    pub locality: Option<String>,
    /// ST, fixed.
    pub state: Option<String>,
    /// C, fixed (two letters).
    pub country: Option<String>,
    /// Whether the request carries the user's email address (emailAddress + rfc822Name SAN).
    pub email_san: bool,
    /// A preset email address.
    pub email: Option<String>,
    /// The user may not change the email address.
    pub lock_email: bool,
}

/// A site to test after enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteSpec {
    /// `https://…`.
    pub url: String,
    /// What people call it.
    pub name: Option<String>,
}

/// A validated enrollment profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// Display name (`Example Corp staff certificate`).
    pub name: String,
    /// Who to ask for help (free text: a mail address, a phone number, a web page).
    pub support: Option<String>,
    /// How to enroll.
    pub enroll: EnrollSpec,
    /// What goes into the request.
    pub subject: SubjectTemplate,
    /// Key types the user may pick, in the order offered.
    pub allowed_keys: Vec<KeySpec>,
    /// The key type used when the user picks none.
    pub default_key: KeySpec,
    /// How PKCS#12 exports are built.
    pub pkcs12: P12Profile,
    /// Where to install the identity (`chromium`, `firefox`, `macos-keychain`, …).
    pub install: Vec<String>,
    /// Sites to check after enrollment.
    pub sites: Vec<SiteSpec>,
    /// Renew this many days before the end (`certdesk watch`; a third of the lifetime when
    /// that is shorter). `None`: the usual 30 days.
    pub renew_before_days: Option<u32>,
}

/// The most `renew_before_days` a profile may ask for (a year).
pub const MAX_RENEW_BEFORE_DAYS: u32 = 365;

/// A profile with its origin and the exact text it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadedProfile {
    /// The validated content.
    pub profile: Profile,
    /// Where it came from.
    pub origin: ProfileOrigin,
    /// SHA-256 of the text, colon hex: tells two versions of a profile apart.
    pub sha256: String,
    /// The TOML text as read.
    #[serde(skip)]
    pub text: String,
}

/// One problem in a profile, with its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileProblem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// Stable code (`verification_disabled`, `insecure_url`, `bad_fingerprint`, …).
    pub code: &'static str,
    /// Plain words.
    pub message: String,
}

impl fmt::Display for ProfileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}:{}: {}", self.line, self.column, self.message)
    }
}

/// Reads a profile file and validates it; every problem ends up in [`Error::InvalidProfile`].
pub fn load_profile(path: &Path) -> Result<LoadedProfile> {
    let bytes = std::fs::read(path).map_err(Error::io("read", path))?;
    let text = String::from_utf8(bytes).map_err(|_| Error::InvalidProfile {
        source_name: path.display().to_string(),
        problems: vec![ProfileProblem {
            line: 1,
            column: 1,
            code: "not_utf8",
            message: "the file is not UTF-8 text".into(),
        }],
    })?;
    parse_profile(&text, ProfileOrigin::File(path.to_path_buf()))
}

/// Parses and validates profile text; every problem ends up in [`Error::InvalidProfile`].
pub fn parse_profile(text: &str, origin: ProfileOrigin) -> Result<LoadedProfile> {
    check_profile(text, origin.clone()).map_err(|problems| Error::InvalidProfile {
        source_name: match &origin {
            ProfileOrigin::File(p) => p.display().to_string(),
            ProfileOrigin::Url(u) => u.clone(),
        },
        problems,
    })
}

/// Parses and validates profile text, returning all problems (sorted by position) on failure.
pub fn check_profile(
    text: &str,
    origin: ProfileOrigin,
) -> std::result::Result<LoadedProfile, Vec<ProfileProblem>> {
    let mut v = Validator {
        text,
        problems: Vec::new(),
    };
    let profile = v.run();
    let mut problems = place(text, v.problems);
    problems.sort_by_key(|p| (p.line, p.column));
    problems.dedup();
    match profile {
        Some(profile) if problems.is_empty() => Ok(LoadedProfile {
            profile,
            origin,
            sha256: colon_hex(&Sha256::digest(text.as_bytes())),
            text: text.to_string(),
        }),
        _ => Err(problems),
    }
}

// ---------------------------------------------------------------------------------------------
// The file as written: every field optional and spanned, so that validation can say where.

type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    format: Option<S<toml::Value>>,
    name: Option<S<String>>,
    support: Option<S<String>>,
    enroll: Option<S<RawEnroll>>,
    subject: Option<S<RawSubject>>,
    allowed_keys: Option<S<Vec<S<String>>>>,
    default_key: Option<S<String>>,
    pkcs12: Option<S<String>>,
    install: Option<S<Vec<S<String>>>>,
    renew_before_days: Option<S<toml::Value>>,
    #[serde(default)]
    sites: Vec<S<RawSite>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnroll {
    method: Option<S<String>>,
    url: Option<S<String>>,
    label: Option<S<String>>,
    ca_sha256: Option<S<String>>,
    auth: Option<S<String>>,
    username: Option<S<String>>,
    field: Option<S<String>>,
    upload: Option<S<String>>,
    to: Option<S<String>>,
    ca_ident: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    name: Option<S<String>>,
    #[serde(default)]
    lock_name: bool,
    organization: Option<S<String>>,
    organizational_unit: Option<S<String>>,
    locality: Option<S<String>>,
    state: Option<S<String>>,
    country: Option<S<String>>,
    #[serde(default)]
    email_san: bool,
    email: Option<S<String>>,
    #[serde(default)]
    lock_email: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    url: Option<S<String>>,
    name: Option<S<String>>,
}

struct Validator<'t> {
    text: &'t str,
    /// Each problem with the byte offset it points at; [`place`] gives them lines and columns.
    problems: Vec<(usize, ProfileProblem)>,
}

/// Lines and columns (1-based; columns count characters) of problems at byte offsets, worked
/// out in one pass over the text. Counting from the start of the text for each problem took
/// quadratic time (found with the `profile` fuzz target): a 512 KiB file of `=` lines did not
/// finish in 10 minutes.
fn place(text: &str, mut problems: Vec<(usize, ProfileProblem)>) -> Vec<ProfileProblem> {
    problems.sort_by_key(|(offset, _)| *offset);
    let (mut line, mut column) = (1, 1);
    let mut chars = text.char_indices().peekable();
    problems
        .into_iter()
        .map(|(offset, mut problem)| {
            while let Some((_, c)) = chars.next_if(|(i, _)| *i < offset) {
                if c == '\n' {
                    line += 1;
                    column = 1;
                } else {
                    column += 1;
                }
            }
            problem.line = line;
            problem.column = column;
            problem
        })
        .collect()
}

/// Key names that would switch off checking the server's identity, normalised (lower case,
/// `-` as `_`). `verify`-like keys are refused when set to false (any value for the others).
fn disables_verification(key: &str, value: &DeValue<'_>) -> bool {
    let k = key.to_ascii_lowercase().replace('-', "_");
    let always = [
        "insecure",
        "skip_verif",
        "no_verif",
        "noverif",
        "disable_verif",
        "dont_verif",
        "accept_invalid",
        "accept_any",
        "trust_all",
        "trust_any",
        "ignore_cert",
        "ignore_tls",
        "ignore_ssl",
    ];
    if k.starts_with("danger") || always.iter().any(|a| k.contains(a)) {
        return true;
    }
    let verify_like = k.contains("verif") || k.contains("check_cert") || k.contains("tls_check");
    verify_like && matches!(value, DeValue::Boolean(false) | DeValue::String(_))
}

impl Validator<'_> {
    fn problem(&mut self, offset: usize, code: &'static str, message: impl Into<String>) {
        let problem = ProfileProblem {
            line: 0,
            column: 0,
            code,
            message: message.into(),
        };
        self.problems.push((offset, problem));
    }

    fn at<T>(&mut self, spanned: &S<T>, code: &'static str, message: impl Into<String>) {
        self.problem(spanned.span().start, code, message);
    }

    fn run(&mut self) -> Option<Profile> {
        let (doc, errors) = DeTable::parse_recoverable(self.text);
        if !errors.is_empty() {
            for e in errors {
                let offset = e.span().map_or(0, |s| s.start);
                let message = format!("this is not valid TOML: {}", first_line(e.message()));
                self.problem(offset, "syntax", message);
            }
            return None;
        }
        let span = doc.span();
        let mut table = doc.into_inner();
        self.refuse_unverified(&mut table);
        let raw = self.deserialize_reporting_all(table, span)?;
        self.validate(raw)
    }

    /// Removes (and reports) every key that would turn off server verification, at any depth.
    fn refuse_unverified(&mut self, table: &mut DeTable<'_>) {
        let mut found = Vec::new();
        collect_unverified(table, &mut found);
        for (offset, key) in found {
            self.problem(
                offset,
                "verification_disabled",
                format!(
                    "`{key}` would turn off checking the enrollment server's identity; a profile \
                     can never do that (pin the server's CA with `ca_sha256` instead)"
                ),
            );
        }
        remove_unverified(table);
    }

    /// Deserializes with `deny_unknown_fields`; serde stops at the first problem, so the
    /// offending key is reported, taken out, and deserialization is retried until it passes.
    fn deserialize_reporting_all(
        &mut self,
        mut table: DeTable<'_>,
        span: std::ops::Range<usize>,
    ) -> Option<RawProfile> {
        for _ in 0..64 {
            let attempt = table.clone();
            let de = toml::de::Deserializer::from(Spanned::new(span.clone(), attempt));
            match RawProfile::deserialize(de) {
                Ok(raw) => return Some(raw),
                Err(e) => {
                    let Some(at) = e.span() else {
                        self.problem(0, "structure", first_line(e.message()).to_string());
                        return None;
                    };
                    let message = first_line(e.message());
                    let (code, message) = if message.starts_with("unknown field") {
                        ("unknown_key", describe_unknown_field(message))
                    } else {
                        ("wrong_type", message.to_string())
                    };
                    self.problem(at.start, code, message);
                    if !remove_at(&mut table, &at) {
                        return None;
                    }
                }
            }
        }
        None
    }

    fn validate(&mut self, raw: RawProfile) -> Option<Profile> {
        match &raw.format {
            None => self.problem(
                0,
                "format_missing",
                "the profile does not say its format: add `format = 1` as the first line",
            ),
            Some(f) => {
                let version = match f.get_ref() {
                    toml::Value::Integer(n) => Some(*n),
                    toml::Value::String(s) => s
                        .strip_prefix("certdesk-profile/")
                        .and_then(|n| n.parse::<i64>().ok()),
                    _ => None,
                };
                match version {
                    Some(v) if v == i64::from(FORMAT_VERSION) => {}
                    Some(v) => self.at(
                        f,
                        "format_unknown",
                        format!(
                            "unknown profile format {v}: this certdesk reads format {FORMAT_VERSION}; \
                             update certdesk or ask your help desk for a format-{FORMAT_VERSION} profile"
                        ),
                    ),
                    None => self.at(
                        f,
                        "format_unknown",
                        format!(
                            "`format` must be {FORMAT_VERSION} or \"certdesk-profile/{FORMAT_VERSION}\", found {}",
                            f.get_ref()
                        ),
                    ),
                }
            }
        }
        let name = match &raw.name {
            None => {
                self.problem(
                    0,
                    "name_missing",
                    "the profile has no `name` (the title people see)",
                );
                String::new()
            }
            Some(n) if n.get_ref().trim().is_empty() => {
                self.at(
                    n,
                    "name_empty",
                    "`name` is empty: give the profile a title people recognise",
                );
                String::new()
            }
            Some(n) => n.get_ref().trim().to_string(),
        };
        let support = match &raw.support {
            Some(s) if s.get_ref().trim().is_empty() => {
                self.at(
                    s,
                    "support_empty",
                    "`support` is empty: say how users reach the help desk, or leave it out",
                );
                None
            }
            Some(s) => Some(s.get_ref().trim().to_string()),
            None => None,
        };
        let renew_before_days = match &raw.renew_before_days {
            None => None,
            Some(v) => match v.get_ref() {
                toml::Value::Integer(n) if (1..=i64::from(MAX_RENEW_BEFORE_DAYS)).contains(n) => {
                    u32::try_from(*n).ok()
                }
                _ => {
                    self.at(
                        v,
                        "bad_renew_before_days",
                        format!(
                            "`renew_before_days` must be a whole number of days from 1 to {MAX_RENEW_BEFORE_DAYS}, e.g. `renew_before_days = 30`"
                        ),
                    );
                    None
                }
            },
        };
        let enroll = match &raw.enroll {
            None => {
                self.problem(
                    0,
                    "enroll_missing",
                    "the profile has no [enroll] table (how to get the certificate)",
                );
                None
            }
            Some(e) => self.enroll(e),
        };
        let subject = raw
            .subject
            .as_ref()
            .map(|s| self.subject(s))
            .unwrap_or_default();
        let (allowed_keys, default_key) = self.keys(&raw);
        let pkcs12 = match &raw.pkcs12 {
            None => P12Profile::Modern,
            Some(p) => {
                match p.get_ref().as_str() {
                    "modern" => P12Profile::Modern,
                    "compatible" => P12Profile::Compatible,
                    other => {
                        self.at(
                        p,
                        "bad_pkcs12",
                        format!("unknown PKCS#12 profile \"{other}\": expected modern or compatible"),
                    );
                        P12Profile::Modern
                    }
                }
            }
        };
        let mut install = Vec::new();
        if let Some(list) = &raw.install {
            for target in list.get_ref() {
                let t = target.get_ref().trim();
                let plausible = !t.is_empty()
                    && t.len() <= 64
                    && t.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if plausible {
                    install.push(t.to_ascii_lowercase());
                } else {
                    self.at(
                        target,
                        "bad_install_target",
                        format!(
                            "install target \"{t}\" is not a name (use names like chromium, firefox, \
                             macos-keychain, windows-store)"
                        ),
                    );
                }
            }
        }
        let mut sites = Vec::new();
        for site in &raw.sites {
            let s = site.get_ref();
            let Some(url) = &s.url else {
                self.at(site, "site_url_missing", "a [[sites]] entry has no `url`");
                continue;
            };
            if let Err((_, why)) = check_https_url(url.get_ref(), UrlUse::Site) {
                self.at(url, "bad_site_url", format!("site URL {why}"));
                continue;
            }
            sites.push(SiteSpec {
                url: url.get_ref().trim().to_string(),
                name: s.name.as_ref().map(|n| n.get_ref().trim().to_string()),
            });
        }
        // SCEP's answer is encrypted to the request's key: RSA only.
        if let (
            Some(EnrollSpec {
                method: EnrollMethod::Scep { .. },
                ..
            }),
            Some(keys),
        ) = (&enroll, &raw.allowed_keys)
        {
            let ec: Vec<String> = allowed_keys
                .iter()
                .filter(|k| !matches!(k, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096))
                .map(|k| k.to_string())
                .collect();
            if !ec.is_empty() {
                self.at(
                    keys,
                    "scep_needs_rsa",
                    format!(
                        "SCEP needs RSA keys (the server encrypts the certificate to the request's key); remove {} from `allowed_keys`",
                        ec.join(", ")
                    ),
                );
            }
        }
        Some(Profile {
            name,
            support,
            enroll: enroll?,
            subject,
            allowed_keys,
            default_key,
            pkcs12,
            install,
            sites,
            renew_before_days,
        })
    }

    fn enroll(&mut self, e: &S<RawEnroll>) -> Option<EnrollSpec> {
        let r = e.get_ref();
        let auth = match &r.auth {
            None => AuthKind::None,
            Some(a) => match AuthKind::NAMES.iter().find(|(n, _)| *n == a.get_ref()) {
                Some((_, k)) => *k,
                None => {
                    self.at(
                        a,
                        "bad_auth",
                        format!(
                            "unknown auth kind \"{}\": expected one-time-code, password, token or none",
                            a.get_ref()
                        ),
                    );
                    AuthKind::None
                }
            },
        };
        let ca_sha256 = r
            .ca_sha256
            .as_ref()
            .and_then(|f| match normalise_sha256(f.get_ref()) {
                Ok(n) => Some(n),
                Err(why) => {
                    self.at(f, "bad_fingerprint", format!("`ca_sha256` {why}"));
                    None
                }
            });
        let username = r.username.as_ref().map(|u| u.get_ref().trim().to_string());
        let Some(method) = &r.method else {
            self.at(
                e,
                "method_missing",
                "[enroll] has no `method`: use \"est\", \"portal\" or \"email\"",
            );
            return None;
        };
        let url = |v: &mut Self| -> Option<String> {
            match &r.url {
                None => {
                    v.at(
                        method,
                        "url_missing",
                        format!("{} enrollment needs a `url`", method.get_ref()),
                    );
                    None
                }
                Some(u) => match check_https_url(u.get_ref(), UrlUse::Enrollment) {
                    Ok(()) => Some(u.get_ref().trim().to_string()),
                    Err((problem, why)) => {
                        let code = if problem == UrlProblem::PlainHttp {
                            "insecure_url"
                        } else {
                            "bad_url"
                        };
                        v.at(u, code, format!("enrollment URL {why}"));
                        None
                    }
                },
            }
        };
        let not_for = |v: &mut Self, field: &Option<S<String>>, key: &str, m: &str| {
            if let Some(f) = field {
                v.at(
                    f,
                    "key_not_for_method",
                    format!("`{key}` does not apply to {m} enrollment; remove it"),
                );
            }
        };
        let method_spec = match method.get_ref().as_str() {
            "est" => {
                not_for(self, &r.field, "field", "EST");
                not_for(self, &r.upload, "upload", "EST");
                not_for(self, &r.to, "to", "EST");
                let label = r.label.as_ref().and_then(|l| {
                    let t = l.get_ref().trim();
                    let ok = !t.is_empty()
                        && t.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')
                        });
                    if !ok {
                        self.at(
                            l,
                            "bad_est_label",
                            format!(
                                "EST label \"{t}\" must be one URL path segment (letters, digits, - _ . ~)"
                            ),
                        );
                    }
                    ok.then(|| t.to_string())
                });
                url(self).map(|url| EnrollMethod::Est { url, label })
            }
            "portal" => {
                not_for(self, &r.label, "label", "portal");
                not_for(self, &r.to, "to", "portal");
                let upload = match &r.upload {
                    None => PortalUpload::Form,
                    Some(u) => match PortalUpload::from_name(u.get_ref()) {
                        Some(k) => k,
                        None => {
                            self.at(
                                u,
                                "bad_upload",
                                format!(
                                    "unknown upload kind \"{}\": expected form, multipart, raw or der",
                                    u.get_ref()
                                ),
                            );
                            PortalUpload::Form
                        }
                    },
                };
                let field = r.field.as_ref().map(|f| f.get_ref().trim().to_string());
                match (&field, upload) {
                    (None, PortalUpload::Form | PortalUpload::Multipart) => self.at(
                        method,
                        "portal_field_missing",
                        "a portal needs `field`: the name of the form field that carries the request \
                         (look for name=\"…\" in the portal's upload form)",
                    ),
                    (Some(f), _) if f.is_empty() => {
                        if let Some(s) = &r.field {
                            self.at(s, "portal_field_missing", "`field` is empty");
                        }
                    }
                    _ => {}
                }
                url(self).map(|url| EnrollMethod::Portal { url, field, upload })
            }
            "scep" => {
                for (f, k) in [
                    (&r.label, "label"),
                    (&r.field, "field"),
                    (&r.upload, "upload"),
                    (&r.to, "to"),
                ] {
                    not_for(self, f, k, "SCEP");
                }
                let url = match &r.url {
                    None => {
                        self.at(method, "url_missing", "scep enrollment needs a `url`");
                        None
                    }
                    // Plain http:// is allowed for SCEP only: the CA fingerprint protects it.
                    Some(u) => match check_https_url(u.get_ref(), UrlUse::Scep) {
                        Ok(()) => Some(u.get_ref().trim().to_string()),
                        Err((_, why)) => {
                            self.at(u, "bad_url", format!("SCEP URL {why}"));
                            None
                        }
                    },
                };
                if let (Some(u), None) = (&url, &r.ca_sha256) {
                    if u.to_ascii_lowercase().starts_with("http://") {
                        self.at(
                            method,
                            "scep_ca_sha256_missing",
                            "a SCEP profile with an http:// address needs `ca_sha256`: the SCEP CA certificate's SHA-256 fingerprint, which is all that protects the enrollment",
                        );
                    }
                }
                let ca_ident = r.ca_ident.as_ref().map(|c| c.get_ref().trim().to_string());
                url.map(|url| EnrollMethod::Scep { url, ca_ident })
            }
            "email" => {
                for (f, k) in [(&r.url, "url"), (&r.label, "label"), (&r.field, "field")] {
                    not_for(self, f, k, "email");
                }
                not_for(self, &r.upload, "upload", "email");
                match &r.to {
                    None => {
                        self.at(
                            method,
                            "email_to_missing",
                            "email enrollment needs `to`: the administrator's address",
                        );
                        None
                    }
                    Some(t) if !looks_like_email(t.get_ref()) => {
                        self.at(
                            t,
                            "bad_email",
                            format!("`to` is not an email address: \"{}\"", t.get_ref()),
                        );
                        None
                    }
                    Some(t) => Some(EnrollMethod::Email {
                        to: t.get_ref().trim().to_string(),
                    }),
                }
            }
            other => {
                self.at(
                    method,
                    "bad_method",
                    format!("unknown enrollment method \"{other}\": expected est, portal, scep or email"),
                );
                None
            }
        };
        Some(EnrollSpec {
            method: method_spec?,
            ca_sha256,
            auth,
            username,
        })
    }

    fn subject(&mut self, s: &S<RawSubject>) -> SubjectTemplate {
        let r = s.get_ref();
        let text = |v: &mut Self, f: &Option<S<String>>, key: &str| -> Option<String> {
            let f = f.as_ref()?;
            let t = f.get_ref().trim();
            if t.is_empty() {
                v.at(
                    f,
                    "empty_value",
                    format!("`{key}` is empty; remove it or give a value"),
                );
                return None;
            }
            Some(t.to_string())
        };
        let name = text(self, &r.name, "name");
        let country = text(self, &r.country, "country");
        if let (Some(c), Some(f)) = (&country, &r.country) {
            if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) {
                self.at(
                    f,
                    "bad_country",
                    format!("`country` must be a two-letter code such as DE or US, found \"{c}\""),
                );
            }
        }
        let email = text(self, &r.email, "email");
        if let (Some(e), Some(f)) = (&email, &r.email) {
            if !looks_like_email(e) {
                self.at(
                    f,
                    "bad_email",
                    format!("`email` is not an email address: \"{e}\""),
                );
            }
            if !r.email_san {
                self.at(
                    f,
                    "email_without_san",
                    "`email` is set but `email_san` is false: set `email_san = true` or remove `email`",
                );
            }
        }
        if r.lock_name && name.is_none() {
            self.at(
                s,
                "lock_without_value",
                "`lock_name = true` needs a `name` to lock",
            );
        }
        if r.lock_email && email.is_none() {
            self.at(
                s,
                "lock_without_value",
                "`lock_email = true` needs an `email` to lock",
            );
        }
        SubjectTemplate {
            name,
            lock_name: r.lock_name,
            organization: text(self, &r.organization, "organization"),
            organizational_unit: text(self, &r.organizational_unit, "organizational_unit"),
            locality: text(self, &r.locality, "locality"),
            state: text(self, &r.state, "state"),
            country: country.map(|c| c.to_ascii_uppercase()),
            email_san: r.email_san,
            email,
            lock_email: r.lock_email,
        }
    }

    fn keys(&mut self, raw: &RawProfile) -> (Vec<KeySpec>, KeySpec) {
        let mut allowed = Vec::new();
        match &raw.allowed_keys {
            None => allowed.extend(KeySpec::ALL),
            Some(list) if list.get_ref().is_empty() => self.at(
                list,
                "no_keys",
                "`allowed_keys` is empty: list at least one key type, e.g. [\"ec-p256\"]",
            ),
            Some(list) => {
                for k in list.get_ref() {
                    match KeySpec::parse(k.get_ref()) {
                        Ok(spec) if !allowed.contains(&spec) => allowed.push(spec),
                        Ok(_) => {}
                        Err(_) => self.at(k, "bad_key_type", unknown_key_type(k.get_ref())),
                    }
                }
            }
        }
        let default = match &raw.default_key {
            None => allowed.first().copied().unwrap_or_default(),
            Some(d) => match KeySpec::parse(d.get_ref()) {
                Ok(spec) if allowed.contains(&spec) => spec,
                Ok(spec) => {
                    self.at(
                        d,
                        "key_not_allowed",
                        format!(
                            "`default_key` {spec} is not in `allowed_keys` ({})",
                            allowed
                                .iter()
                                .map(|k| k.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    spec
                }
                Err(_) => {
                    self.at(d, "bad_key_type", unknown_key_type(d.get_ref()));
                    KeySpec::default()
                }
            },
        };
        (allowed, default)
    }
}

fn unknown_key_type(found: &str) -> String {
    format!(
        "unknown key type \"{found}\": expected one of {}",
        KeySpec::ALL.map(KeySpec::as_str).join(", ")
    )
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message).trim()
}

/// serde says "unknown field `x`, expected one of `a`, `b`"; keep that, in our words.
fn describe_unknown_field(message: &str) -> String {
    let key = message
        .split('`')
        .nth(1)
        .map(str::to_string)
        .unwrap_or_default();
    match message.split_once("expected ") {
        Some((_, expected)) => format!("unknown key `{key}` (allowed here: {expected})"),
        None => format!("unknown key `{key}`"),
    }
}

fn collect_unverified(table: &DeTable<'_>, found: &mut Vec<(usize, String)>) {
    for (k, v) in table.iter() {
        if disables_verification(k.get_ref(), v.get_ref()) {
            found.push((k.span().start, k.get_ref().to_string()));
            continue;
        }
        collect_unverified_value(v.get_ref(), found);
    }
}

fn collect_unverified_value(value: &DeValue<'_>, found: &mut Vec<(usize, String)>) {
    match value {
        DeValue::Table(t) => collect_unverified(t, found),
        DeValue::Array(a) => a
            .iter()
            .for_each(|e| collect_unverified_value(e.get_ref(), found)),
        _ => {}
    }
}

fn remove_unverified(table: &mut DeTable<'_>) {
    let doomed: Vec<String> = table
        .iter()
        .filter(|(k, v)| disables_verification(k.get_ref(), v.get_ref()))
        .map(|(k, _)| k.get_ref().to_string())
        .collect();
    for k in doomed {
        table.remove(k.as_str());
    }
    for (_, v) in table.iter_mut() {
        remove_unverified_value(v.get_mut());
    }
}

fn remove_unverified_value(value: &mut DeValue<'_>) {
    match value {
        DeValue::Table(t) => remove_unverified(t),
        DeValue::Array(a) => a
            .iter_mut()
            .for_each(|e| remove_unverified_value(e.get_mut())),
        _ => {}
    }
}

/// Removes the entry whose key or value starts at `at`; true when something was removed.
fn remove_at(table: &mut DeTable<'_>, at: &std::ops::Range<usize>) -> bool {
    let doomed = table
        .iter()
        .find(|(k, v)| k.span().start == at.start || v.span() == *at)
        .map(|(k, _)| k.get_ref().to_string());
    if let Some(k) = doomed {
        table.remove(k.as_str());
        return true;
    }
    table
        .iter_mut()
        .any(|(_, v)| remove_at_value(v.get_mut(), at))
}

fn remove_at_value(value: &mut DeValue<'_>, at: &std::ops::Range<usize>) -> bool {
    match value {
        DeValue::Table(t) => remove_at(t, at),
        DeValue::Array(a) => a.iter_mut().any(|e| remove_at_value(e.get_mut(), at)),
        _ => false,
    }
}

/// `Ok` for an address certdesk may use (see [`crate::weburl`]); otherwise why not, in words,
/// with the address quoted safely (control characters escaped, credentials hidden).
fn check_https_url(url: &str, usage: UrlUse) -> std::result::Result<(), (UrlProblem, String)> {
    WebUrl::check(url, usage).map(|_| ()).map_err(|problem| {
        let why = format!(
            "\"{}\" cannot be used: {}",
            shown(url),
            problem.reason(usage)
        );
        (problem, why)
    })
}

fn looks_like_email(s: &str) -> bool {
    let s = s.trim();
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// Normalises a SHA-256 fingerprint (hex, with or without colons or spaces) to upper-case colon
/// hex, or says what is wrong with it.
pub fn normalise_sha256(text: &str) -> std::result::Result<String, String> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    if let Some(bad) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!(
            "must be a SHA-256 fingerprint in hex (like AB:CD:…), found the character '{bad}'"
        ));
    }
    if digits.len() != 64 {
        return Err(format!(
            "must be 32 bytes (64 hex digits) of SHA-256, found {} hex digits{}",
            digits.len(),
            if digits.len() == 40 {
                " (that is the length of a SHA-1 fingerprint)"
            } else {
                ""
            }
        ));
    }
    let bytes = hex::decode(&digits).map_err(|e| e.to_string())?;
    Ok(colon_hex(&bytes))
}

/// What the user typed when creating a request from a profile.
#[derive(Debug, Clone, Default)]
pub struct TemplateInput {
    /// `--name`.
    pub name: Option<String>,
    /// `--email`.
    pub email: Option<String>,
    /// `--subject`, when the user gave a full DN: its fixed parts must match the profile.
    pub subject: Option<SubjectSpec>,
    /// `--key`.
    pub key: Option<KeySpec>,
}

/// This computer's name, for device labels (`Alice Example (laptop)`): issue #7 asks for one
/// certificate per device, so a request made from a profile says which device holds its key.
pub fn this_device_name() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
}

/// The label for a new identity: the one given, else `CN (device)`, else none (the wallet then
/// uses the CN).
pub fn device_label(cn: &str, label: Option<&str>, device: Option<&str>) -> Option<String> {
    match (label, device.map(str::trim).filter(|d| !d.is_empty())) {
        (Some(l), _) => Some(l.to_string()),
        (None, Some(d)) => Some(format!("{} ({d})", cn.trim())),
        (None, None) => None,
    }
}

/// Applies a profile's subject template and key rules to what the user typed. Locked and fixed
/// fields cannot be overridden; the key type must be allowed.
pub fn apply_template(profile: &Profile, input: &TemplateInput) -> Result<(SubjectSpec, KeySpec)> {
    let t = &profile.subject;
    let refuse = |field: &str, reason: String| Error::ProfileRefused {
        field: field.to_string(),
        reason,
        profile: profile.name.clone(),
    };
    let given_subject = input.subject.clone().unwrap_or_default();
    let typed_name = input
        .name
        .clone()
        .or_else(|| input.subject.as_ref().map(|s| s.common_name.clone()))
        .filter(|n| !n.trim().is_empty());
    let common_name = match (&t.name, t.lock_name, typed_name) {
        (Some(fixed), true, Some(typed)) if typed.trim() != fixed => {
            return Err(refuse(
                "name",
                format!("the profile fixes the name to \"{fixed}\"; you gave \"{typed}\""),
            ))
        }
        (_, _, Some(typed)) => typed.trim().to_string(),
        (Some(preset), _, None) => preset.clone(),
        (None, _, None) => {
            return Err(refuse(
                "name",
                "this profile needs your name (--name \"First Last\")".into(),
            ))
        }
    };
    let fixed = [
        ("O", &t.organization, &given_subject.organization),
        (
            "OU",
            &t.organizational_unit,
            &given_subject.organizational_unit,
        ),
        ("L", &t.locality, &given_subject.locality),
        ("ST", &t.state, &given_subject.state),
        ("C", &t.country, &given_subject.country),
    ];
    for (field, profile_value, typed) in fixed {
        if let Some(typed) = typed {
            if profile_value.as_deref() != Some(typed.trim()) {
                return Err(refuse(
                    field,
                    match profile_value {
                        Some(v) => {
                            format!("the profile fixes {field} to \"{v}\"; you gave \"{typed}\"")
                        }
                        None => format!("the profile leaves {field} out; you gave \"{typed}\""),
                    },
                ));
            }
        }
    }
    let typed_email = input
        .email
        .clone()
        .or(given_subject.email.clone())
        .filter(|e| !e.trim().is_empty());
    let email = match (t.email_san, &t.email, t.lock_email, typed_email) {
        (false, _, _, Some(typed)) => {
            return Err(refuse(
                "email",
                format!(
                "this profile does not put an email address in the request; leave out \"{typed}\""
            ),
            ))
        }
        (false, _, _, None) => None,
        (true, Some(fixed), true, Some(typed)) if typed.trim() != fixed => {
            return Err(refuse(
                "email",
                format!("the profile fixes the email address to {fixed}; you gave {typed}"),
            ))
        }
        (true, _, _, Some(typed)) => Some(typed.trim().to_string()),
        (true, Some(preset), _, None) => Some(preset.clone()),
        (true, None, _, None) => {
            return Err(refuse(
                "email",
                "this profile needs your email address (--email you@example.org)".into(),
            ))
        }
    };
    let key = input.key.unwrap_or(profile.default_key);
    if !profile.allowed_keys.contains(&key) {
        return Err(refuse(
            "key type",
            format!(
                "{key} is not allowed; this profile allows {}",
                profile
                    .allowed_keys
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let subject = SubjectSpec {
        common_name,
        organization: t.organization.clone(),
        organizational_unit: t.organizational_unit.clone(),
        locality: t.locality.clone(),
        state: t.state.clone(),
        country: t.country.clone(),
        email,
        upn: given_subject.upn,
    };
    subject.validate()?;
    Ok((subject, key))
}

const PROFILE_FILE: &str = "profile.toml";
const PROFILE_ORIGIN_FILE: &str = "profile-origin.json";

#[derive(Debug, Serialize, Deserialize)]
struct StoredOrigin {
    origin: ProfileOrigin,
    sha256: String,
}

/// Keeps a copy of the profile (and where it came from) with an identity, so that enrollment,
/// renewal and the app can read it later ([`profile_of`]).
pub fn store_with_identity(
    wallet: &crate::wallet::Wallet,
    id: &str,
    loaded: &LoadedProfile,
) -> Result<()> {
    use crate::fsutil::{write_atomic, FileMode};
    let dir = wallet.identity_dir(id);
    write_atomic(
        &dir.join(PROFILE_FILE),
        loaded.text.as_bytes(),
        FileMode::Public,
    )?;
    let origin = serde_json::to_vec_pretty(&StoredOrigin {
        origin: loaded.origin.clone(),
        sha256: loaded.sha256.clone(),
    })
    .map_err(|e| Error::crypto("encode the profile origin", e))?;
    write_atomic(&dir.join(PROFILE_ORIGIN_FILE), &origin, FileMode::Public)
}

/// The profile an identity was created from, with its original origin; `None` when the
/// identity was made without a profile. `id` is the identity's full id.
pub fn profile_of(wallet: &crate::wallet::Wallet, id: &str) -> Result<Option<LoadedProfile>> {
    let dir = wallet.identity_dir(id);
    let path = dir.join(PROFILE_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read", &path)(e)),
    };
    let origin_path = dir.join(PROFILE_ORIGIN_FILE);
    let origin = match std::fs::read(&origin_path) {
        Ok(bytes) => {
            serde_json::from_slice::<StoredOrigin>(&bytes)
                .map_err(|e| Error::CorruptWallet {
                    path: origin_path.clone(),
                    detail: e.to_string(),
                })?
                .origin
        }
        Err(_) => ProfileOrigin::File(path.clone()),
    };
    parse_profile(&text, origin).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"format = 1
name = "Example Corp staff"
support = "helpdesk@example.org"

[enroll]
method = "est"
url = "https://est.example.org"
label = "staff"
ca_sha256 = "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89"
auth = "one-time-code"

[subject]
organization = "Example Corp"
organizational_unit = "Staff"
email_san = true

allowed_keys = ["ec-p256", "rsa-3072"]
"#;

    fn problems(text: &str) -> Vec<ProfileProblem> {
        check_profile(text, ProfileOrigin::Url("test:".into())).expect_err("must be refused")
    }

    fn one(text: &str, code: &str) -> ProfileProblem {
        let all = problems(text);
        let found: Vec<_> = all.iter().filter(|p| p.code == code).cloned().collect();
        assert_eq!(found.len(), 1, "expected one {code} in {all:#?}");
        found[0].clone()
    }

    fn base() -> String {
        // allowed_keys after [subject] would belong to the table: keep top-level keys first.
        GOOD.replace("\nallowed_keys = [\"ec-p256\", \"rsa-3072\"]\n", "")
            .replacen(
                "support = \"helpdesk@example.org\"\n",
                "support = \"helpdesk@example.org\"\nallowed_keys = [\"ec-p256\", \"rsa-3072\"]\n",
                1,
            )
    }

    #[test]
    fn a_good_profile_validates() {
        let loaded = check_profile(&base(), ProfileOrigin::Url("x".into())).expect("valid");
        let p = &loaded.profile;
        assert_eq!(p.name, "Example Corp staff");
        assert_eq!(
            p.enroll.method,
            EnrollMethod::Est {
                url: "https://est.example.org".into(),
                label: Some("staff".into())
            }
        );
        assert!(p
            .enroll
            .ca_sha256
            .as_deref()
            .unwrap_or("")
            .starts_with("AB:CD:EF"));
        assert_eq!(p.allowed_keys, vec![KeySpec::EcP256, KeySpec::Rsa3072]);
        assert_eq!(p.default_key, KeySpec::EcP256);
        assert_eq!(p.subject.organization.as_deref(), Some("Example Corp"));
    }

    #[test]
    fn renew_before_days_is_a_whole_number_of_days_up_to_a_year() {
        let with = |v: &str| {
            base().replacen(
                "support = ",
                &format!("renew_before_days = {v}\nsupport = "),
                1,
            )
        };
        let loaded = check_profile(&with("45"), ProfileOrigin::Url("x".into())).expect("valid");
        assert_eq!(loaded.profile.renew_before_days, Some(45));
        let plain = check_profile(&base(), ProfileOrigin::Url("x".into())).expect("valid");
        assert_eq!(plain.profile.renew_before_days, None);
        for bad in ["0", "-3", "366", "\"30d\"", "1.5"] {
            let p = one(&with(bad), "bad_renew_before_days");
            assert_eq!(p.line, 3, "{bad}");
            assert!(p.message.contains("from 1 to 365"), "{}", p.message);
        }
    }

    #[test]
    fn a_key_after_a_table_header_belongs_to_the_table_and_is_refused_there() {
        // The classic TOML slip: `allowed_keys` written below [subject].
        let p = one(GOOD, "unknown_key");
        assert_eq!((p.line, p.column), (17, 1));
        assert!(p.message.contains("allowed_keys"), "{}", p.message);
    }

    #[test]
    fn verification_cannot_be_disabled_anywhere() {
        for (line, key) in [
            ("insecure = true", "insecure"),
            ("verify = false", "verify"),
            ("skip_verify = true", "skip_verify"),
            (
                "danger_accept_invalid_certs = true",
                "danger_accept_invalid_certs",
            ),
            ("tls-verify = \"no\"", "tls-verify"),
        ] {
            let text = base().replace(
                "auth = \"one-time-code\"",
                &format!("auth = \"one-time-code\"\n{line}"),
            );
            let all = problems(&text);
            assert_eq!(all.len(), 1, "{line}: {all:#?}");
            assert_eq!(all[0].code, "verification_disabled");
            assert_eq!(all[0].line, 12, "{line}");
            assert!(
                all[0].message.contains(&format!("`{key}`")),
                "{}",
                all[0].message
            );
            assert!(all[0].message.contains("can never"), "{}", all[0].message);
        }
        let top = format!("insecure = true\n{}", base());
        assert_eq!(one(&top, "verification_disabled").line, 1);
    }

    #[test]
    fn every_problem_is_reported_with_its_position() {
        let text = r#"format = 2
name = "  "
allowed_keys = ["ec-p256", "rsa-1024"]
default_key = "ec-p384"
colour = "blue"

[enroll]
method = "est"
url = "http://est.example.org"
ca_sha256 = "AB:CD"
auth = "sms"
"#;
        let all = problems(text);
        let codes: Vec<(&str, usize)> = all.iter().map(|p| (p.code, p.line)).collect();
        assert_eq!(
            codes,
            vec![
                ("format_unknown", 1),
                ("name_empty", 2),
                ("bad_key_type", 3),
                ("key_not_allowed", 4),
                ("unknown_key", 5),
                ("insecure_url", 9),
                ("bad_fingerprint", 10),
                ("bad_auth", 11),
            ],
            "{all:#?}"
        );
        assert!(all[0].message.contains("unknown profile format 2"));
        assert_eq!(all[2].column, 28);
        assert!(all[2].message.contains("\"rsa-1024\""));
        assert!(all[5].message.contains("plain http://"));
        assert!(all[6].message.contains("found 4 hex digits"));
    }

    #[test]
    fn a_profile_with_a_quarter_million_problems_is_placed_in_one_pass() {
        // Found with the profile fuzz target: the line and column of each problem were counted
        // from the start of the text, so this 512 KiB file (syntax errors on every line) did not
        // finish in 10 minutes; now it takes about a second.
        let lines = 256 * 1024;
        let text = "=\n".repeat(lines);
        let started = std::time::Instant::now();
        let all = problems(&text);
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_secs(20), "took {took:?}");
        assert!(all.len() >= lines, "{} problems", all.len());
        assert!(all.iter().all(|p| p.code == "syntax"));
        let last = all.last().expect("problems");
        assert_eq!((all[0].line, last.line), (1, lines));
        // Columns count characters, not bytes, and lines restart them.
        let p = one("format = 1\nname = \"Ö\"\n\"färbe\" = 1\n", "unknown_key");
        assert_eq!((p.line, p.column), (3, 1));
        let p = one("format = 1\nname = \"Ö\" ; x\n", "syntax");
        assert_eq!((p.line, p.column), (2, 12));
    }

    #[test]
    fn portal_without_field_and_email_without_recipient() {
        let portal = "format = 1\nname = \"P\"\n[enroll]\nmethod = \"portal\"\nurl = \"https://ca.example.org/upload\"\n";
        let p = one(portal, "portal_field_missing");
        assert_eq!(p.line, 4);
        let raw = portal.replace("url =", "upload = \"raw\"\nurl =");
        check_profile(&raw, ProfileOrigin::Url("x".into())).expect("raw needs no field");
        let email = "format = 1\nname = \"E\"\n[enroll]\nmethod = \"email\"\n";
        assert_eq!(one(email, "email_to_missing").line, 4);
        let bad = format!("{email}to = \"not-an-address\"\n");
        assert_eq!(one(&bad, "bad_email").line, 5);
    }

    #[test]
    fn syntax_errors_and_wrong_types_have_positions() {
        let p = one("format = 1\nname = \"x\n", "syntax");
        assert_eq!(p.line, 2);
        let t = one(
            "format = 1\nname = 5\n[enroll]\nmethod = \"email\"\nto = \"a@b.org\"\n",
            "wrong_type",
        );
        assert_eq!((t.line, t.column), (2, 8));
    }

    #[test]
    fn missing_format_and_sha1_fingerprint() {
        let p = one(
            "name = \"x\"\n[enroll]\nmethod = \"email\"\nto = \"a@b.org\"\n",
            "format_missing",
        );
        assert!(p.message.contains("format = 1"));
        let sha1 = base().replace(
            "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89",
            "0123456789012345678901234567890123456789",
        );
        assert!(one(&sha1, "bad_fingerprint").message.contains("SHA-1"));
    }

    #[test]
    fn template_applies_fixed_fields_and_refuses_overrides() {
        let loaded = check_profile(&base(), ProfileOrigin::Url("x".into())).expect("valid");
        let p = &loaded.profile;
        let (subject, key) = apply_template(
            p,
            &TemplateInput {
                name: Some("Alice Example".into()),
                email: Some("alice@example.org".into()),
                ..TemplateInput::default()
            },
        )
        .expect("applies");
        assert_eq!(subject.common_name, "Alice Example");
        assert_eq!(subject.organization.as_deref(), Some("Example Corp"));
        assert_eq!(subject.organizational_unit.as_deref(), Some("Staff"));
        assert_eq!(subject.email.as_deref(), Some("alice@example.org"));
        assert_eq!(key, KeySpec::EcP256);
        let other_o = apply_template(
            p,
            &TemplateInput {
                subject: Some(SubjectSpec::parse_dn("CN=Alice,O=Evil Corp").expect("dn")),
                email: Some("alice@example.org".into()),
                ..TemplateInput::default()
            },
        )
        .expect_err("O is fixed");
        assert!(
            other_o.to_string().contains("fixes O to \"Example Corp\""),
            "{other_o}"
        );
        let rsa4096 = apply_template(
            p,
            &TemplateInput {
                name: Some("Alice".into()),
                email: Some("alice@example.org".into()),
                key: Some(KeySpec::Rsa4096),
                ..TemplateInput::default()
            },
        )
        .expect_err("key not allowed");
        assert!(
            rsa4096.to_string().contains("rsa-4096 is not allowed"),
            "{rsa4096}"
        );
        let no_email = apply_template(
            p,
            &TemplateInput {
                name: Some("Alice".into()),
                ..TemplateInput::default()
            },
        )
        .expect_err("email needed");
        assert!(no_email.to_string().contains("email"), "{no_email}");
    }

    #[test]
    fn locked_name_cannot_be_overridden() {
        let text = base().replace(
            "[subject]\n",
            "[subject]\nname = \"Kiosk 7\"\nlock_name = true\n",
        );
        let loaded = check_profile(&text, ProfileOrigin::Url("x".into())).expect("valid");
        let err = apply_template(
            &loaded.profile,
            &TemplateInput {
                name: Some("Mallory".into()),
                email: Some("m@example.org".into()),
                ..TemplateInput::default()
            },
        )
        .expect_err("locked");
        assert!(
            err.to_string().contains("fixes the name to \"Kiosk 7\""),
            "{err}"
        );
        let (subject, _) = apply_template(
            &loaded.profile,
            &TemplateInput {
                email: Some("m@example.org".into()),
                ..TemplateInput::default()
            },
        )
        .expect("preset name");
        assert_eq!(subject.common_name, "Kiosk 7");
    }

    #[test]
    fn the_example_profiles_validate() {
        let examples = [
            ("est", include_str!("../../../examples/profiles/est.toml")),
            (
                "portal",
                include_str!("../../../examples/profiles/portal.toml"),
            ),
            (
                "email",
                include_str!("../../../examples/profiles/email.toml"),
            ),
            (
                "practice",
                include_str!("../../../examples/profiles/practice.toml"),
            ),
            ("scep", include_str!("../../../examples/profiles/scep.toml")),
        ];
        for (method, text) in examples {
            let loaded = check_profile(text, ProfileOrigin::File(format!("{method}.toml").into()))
                .unwrap_or_else(|p| panic!("{method}.toml: {p:#?}"));
            let expected = if method == "practice" { "est" } else { method };
            assert_eq!(loaded.profile.enroll.method.name(), expected);
        }
    }

    #[test]
    fn scep_profiles_take_http_with_a_ca_fingerprint_and_rsa_keys_only() {
        let base = include_str!("../../../examples/profiles/scep.toml");
        let loaded = check_profile(base, ProfileOrigin::File("scep.toml".into())).expect("valid");
        let target = crate::enroll::target_from_profile(&loaded.profile)
            .expect("target")
            .expect("scep has a target");
        assert!(
            matches!(&target.method, crate::enroll::EnrollMethod::Scep { url, ca_sha256: Some(_), .. }
                if url == "http://ndes.example.org/certsrv/mscep/mscep.dll"),
            "{target:?}"
        );
        assert_eq!(target.trust, crate::enroll::TrustSettings::default());
        let codes = |text: &str| -> Vec<&'static str> {
            match check_profile(text, ProfileOrigin::File("x.toml".into())) {
                Ok(_) => Vec::new(),
                Err(problems) => problems.iter().map(|p| p.code).collect(),
            }
        };
        let no_pin: String = base
            .lines()
            .filter(|l| !l.starts_with("ca_sha256"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(codes(&no_pin), ["scep_ca_sha256_missing"]);
        let ec = base.replace(
            "allowed_keys = [\"rsa-2048\", \"rsa-3072\"]\ndefault_key = \"rsa-2048\"",
            "allowed_keys = [\"ec-p256\", \"rsa-2048\"]\ndefault_key = \"rsa-2048\"",
        );
        assert_eq!(codes(&ec), ["scep_needs_rsa"]);
        let labelled = base.replace("method = \"scep\"", "method = \"scep\"\nlabel = \"x\"");
        assert_eq!(codes(&labelled), ["key_not_for_method"]);
    }

    #[test]
    fn fingerprints_normalise() {
        let hex64 = "a".repeat(64);
        assert_eq!(normalise_sha256(&hex64).expect("ok").len(), 95);
        assert!(normalise_sha256("zz").is_err());
    }
}
