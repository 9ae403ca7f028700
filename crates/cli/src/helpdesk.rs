//! Help-desk commands (issue #7): `profile check`, `request new --profile`, `report`, `status`,
//! and the hook that keeps site checks with an identity. Everything here lays out what
//! certdesk-core decides.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use certdesk_core::csr::SubjectSpec;
use certdesk_core::fsutil::{write_atomic, FileMode};
use certdesk_core::key::KeySpec;
use certdesk_core::profile::{self, LoadedProfile};
use certdesk_core::revocation::{self, Overall, SourceStatus, StatusOptions};
use certdesk_core::secret::SecretString;
use certdesk_core::transport::ServerTrust;
use certdesk_core::wallet::{KeyProtection, Wallet};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::{render, Outcome};

/// `certdesk profile …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ProfileCmd {
    /// Validate a help-desk enrollment profile and list every problem with its line (exit 1 when
    /// it has problems).
    Check {
        /// The profile: a file (TOML), an https:// URL or a certdesk://profile?url=… link.
        #[arg(value_name = "FILE|URL")]
        file: PathBuf,
        /// CA certificate(s) (PEM/DER) of the server a profile is downloaded from, trusted
        /// instead of this computer's roots.
        #[arg(long, value_name = "FILE")]
        ca_file: Option<PathBuf>,
    },
    /// Make a profile from the enrollment server itself (its CA, the key type it asks for),
    /// validate it and write NAME.certdesk, with its certdesk:// link and a QR code.
    New(Box<NewProfileArgs>),
}

/// `certdesk profile new`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("method").required(true).args(["est", "scep", "portal"])))]
pub(crate) struct NewProfileArgs {
    /// The name users see ("Example Corp staff certificate").
    #[arg(long)]
    pub(crate) name: String,
    /// Whom users ask for help (a mail address, a phone number, a web page).
    #[arg(long)]
    pub(crate) contact: String,
    /// The EST server (https://host or https://host/.well-known/est).
    #[arg(long, value_name = "URL")]
    pub(crate) est: Option<String>,
    /// The EST CA label, with --est.
    #[arg(long, requires = "est")]
    pub(crate) label: Option<String>,
    /// A SCEP server (not written yet: see docs/profile-format.md for a SCEP profile by hand).
    #[arg(long, value_name = "URL")]
    pub(crate) scep: Option<String>,
    /// An upload portal page.
    #[arg(long, value_name = "URL")]
    pub(crate) portal: Option<String>,
    /// The CA certificate (PEM/DER) the server's TLS chain ends in; its SHA-256 is pinned.
    #[arg(long, value_name = "FILE", conflicts_with = "trust_fingerprint")]
    pub(crate) ca_file: Option<PathBuf>,
    /// The server CA's SHA-256, once you have confirmed it (certdesk shows it when the server
    /// is not trusted yet).
    #[arg(long, value_name = "SHA256")]
    pub(crate) trust_fingerprint: Option<String>,
    /// A user name shared by everyone (the code alone tells users apart); otherwise each user
    /// types theirs.
    #[arg(long)]
    pub(crate) user: Option<String>,
    /// A site to test after enrollment (repeatable).
    #[arg(long = "site", value_name = "URL")]
    pub(crate) sites: Vec<String>,
    /// Organisation (O), fixed for every user.
    #[arg(long)]
    pub(crate) org: Option<String>,
    /// Organisational unit (OU), fixed for every user.
    #[arg(long)]
    pub(crate) ou: Option<String>,
    /// Where to write the profile (NAME.certdesk).
    #[arg(long, value_name = "FILE.certdesk")]
    pub(crate) out: PathBuf,
    /// The https:// address where you will publish the file: makes the certdesk:// link.
    #[arg(long, value_name = "URL")]
    pub(crate) publish_url: Option<String>,
    /// Also write the link as a QR code (.png or .svg); needs --publish-url.
    #[arg(long, value_name = "FILE.png|FILE.svg", requires = "publish_url")]
    pub(crate) qr: Option<PathBuf>,
    /// Seconds to wait for the server.
    #[arg(long, default_value_t = 15)]
    pub(crate) timeout: u64,
}

/// Runs `certdesk profile …`.
pub(crate) fn profile_cmd(cmd: ProfileCmd, as_json: bool) -> anyhow::Result<Outcome> {
    match cmd {
        ProfileCmd::Check { file, ca_file } => {
            let trust = ServerTrust {
                ca_pem: ca_file
                    .as_deref()
                    .map(|f| {
                        std::fs::read(f).map_err(|source| certdesk_core::Error::Io {
                            op: "read",
                            path: f.to_path_buf(),
                            source,
                        })
                    })
                    .transpose()?,
                ..ServerTrust::default()
            };
            profile_check_source(&file, trust, as_json)
        }
        ProfileCmd::New(args) => crate::profile_new::run(*args, as_json),
    }
}

/// Loads a profile named on the command line: a file, an `https://` URL or a `certdesk://`
/// link (downloaded with `trust`).
pub(crate) fn open_profile_arg(source: &Path, trust: ServerTrust) -> anyhow::Result<LoadedProfile> {
    Ok(profile::open_profile_source(
        &source.to_string_lossy(),
        trust,
    )?)
}

/// `profile check` for a URL or link: download (errors with hints), then the same report as
/// for a file.
fn profile_check_source(
    source: &Path,
    trust: ServerTrust,
    as_json: bool,
) -> anyhow::Result<Outcome> {
    let text = source.to_string_lossy();
    if !profile::is_remote_source(&text) {
        return profile_check(source, as_json);
    }
    match profile::open_profile_source(&text, trust) {
        Ok(loaded) => {
            print_check(&loaded.origin.to_string(), Ok(loaded), as_json)?;
            Ok(Outcome::Success)
        }
        Err(certdesk_core::Error::InvalidProfile {
            source_name,
            problems,
        }) => {
            print_check(&source_name, Err(problems), as_json)?;
            Ok(Outcome::CheckFailed)
        }
        Err(e) => Err(e.into()),
    }
}

/// `certdesk report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Identity id (or unique prefix, or label).
    id: String,
    /// Write the report to this file instead of printing it.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// `certdesk status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// Identity id (or unique prefix, or label).
    id: String,
    /// Say "renew soon" this many days before expiry.
    #[arg(long, value_name = "DAYS", default_value_t = certdesk_flows::expiry::RENEW_SOON_DAYS)]
    renew_within: i64,
    /// Seconds to wait for each CRL or OCSP server.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Check expiry only; do not contact CRL or OCSP servers.
    #[arg(long)]
    offline: bool,
}

/// What `request new --profile` got on the command line.
#[derive(Debug)]
pub(crate) struct ProfileRequest<'a> {
    pub(crate) profile: &'a Path,
    pub(crate) subject: Option<&'a str>,
    pub(crate) name: Option<&'a str>,
    pub(crate) email: Option<&'a str>,
    pub(crate) upn: Option<&'a str>,
    pub(crate) key: Option<KeySpec>,
    pub(crate) label: Option<&'a str>,
    pub(crate) device: Option<&'a str>,
    pub(crate) challenge_password: Option<SecretString>,
}

fn print_origin(loaded: &LoadedProfile) {
    eprintln!("Profile: {} (from {})", loaded.profile.name, loaded.origin);
}

fn profile_check(file: &Path, as_json: bool) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(file).map_err(|source| certdesk_core::Error::Io {
        op: "read",
        path: file.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let origin = profile::ProfileOrigin::File(file.to_path_buf());
    let result = profile::check_profile(&text, origin);
    let valid = result.is_ok();
    print_check(&file.display().to_string(), result, as_json)?;
    Ok(if valid {
        Outcome::Success
    } else {
        Outcome::CheckFailed
    })
}

fn print_check(
    shown: &str,
    result: Result<LoadedProfile, Vec<profile::ProfileProblem>>,
    as_json: bool,
) -> anyhow::Result<()> {
    match result {
        Ok(loaded) => {
            if as_json {
                render::json(&json!({ "valid": true, "profile": loaded }))?;
            } else {
                let p = &loaded.profile;
                outln!("{shown} is a valid profile: \"{}\"", p.name);
                outln!("  from:        {}", loaded.origin);
                outln!(
                    "  enrollment:  {} {}",
                    p.enroll.method.name(),
                    match &p.enroll.method {
                        profile::EnrollMethod::Email { to } => to.as_str(),
                        m => m.url().unwrap_or(""),
                    }
                );
                if let Some(pin) = &p.enroll.ca_sha256 {
                    outln!("  CA pin:      {pin}");
                }
                outln!("  sign-in:     {}", p.enroll.auth.as_str());
                outln!(
                    "  key types:   {} (default {})",
                    p.allowed_keys
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    p.default_key
                );
                if let Some(s) = &p.support {
                    outln!("  support:     {s}");
                }
                for site in &p.sites {
                    outln!("  site:        {}", site.url);
                }
            }
        }
        Err(problems) => {
            if as_json {
                render::json(&json!({ "valid": false, "problems": problems }))?;
            } else {
                outln!(
                    "{shown} has {} problem{}:",
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" }
                );
                for p in &problems {
                    outln!(
                        "{shown}:{}:{}: {} ({})",
                        p.line,
                        p.column,
                        p.message,
                        p.code
                    );
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn request_new_with_profile(
    wallet: &Wallet,
    as_json: bool,
    protection: &KeyProtection,
    args: ProfileRequest<'_>,
) -> anyhow::Result<Outcome> {
    // Downloads use this computer's roots (SSL_CERT_FILE / SSL_CERT_DIR are honoured).
    let loaded = open_profile_arg(args.profile, ServerTrust::default())?;
    let made = certdesk_flows::request::request_from_profile(
        wallet,
        &loaded,
        certdesk_flows::request::ProfileRequest {
            name: args.name.map(str::to_string),
            email: args.email.map(str::to_string),
            subject: args.subject.map(SubjectSpec::parse_dn).transpose()?,
            upn: args.upn.map(str::to_string),
            key: args.key,
            label: args.label.map(str::to_string),
            device: args.device.map(str::to_string),
            challenge_password: args.challenge_password,
            via: "cli".into(),
        },
        protection,
    )?;
    let (identity, wish) = (made.identity, made.server_key_wish);
    let csr = identity.csr()?.context("the new identity has no request")?;
    let subject_line = identity.summary()?.subject;
    if as_json {
        render::json(&json!({
            "id": identity.id,
            "label": identity.label,
            "key_type": identity.key_type,
            "subject": subject_line,
            "csr_pem": csr.pem(),
            "csr_sha256": csr.fingerprint_sha256(),
            "profile": { "name": loaded.profile.name, "origin": loaded.origin, "sha256": loaded.sha256 },
            "server_key_wish": wish.as_ref().map(|w| json!({ "key_type": w.key, "allowed": w.allowed, "url": w.url })),
        }))?;
    } else {
        outln!("{}", identity.id);
        print_origin(&loaded);
        match &wish {
            Some(w) if w.allowed => eprintln!(
                "Chose an {} key because the EST server asks for it ({}).",
                w.key.describe(),
                w.url
            ),
            Some(w) => eprintln!(
                "The EST server asks for an {} key, which the profile \"{}\" does not allow; using the profile's key type.",
                w.key.describe(),
                loaded.profile.name
            ),
            None => {}
        }
        eprintln!(
            "Created a private key ({}) on this computer and a request for \"{}\", labelled \"{}\".",
            identity.key_type.describe(),
            subject_line,
            identity.label
        );
        match &loaded.profile.enroll.method {
            profile::EnrollMethod::Est { .. } => {
                eprintln!("Next: certdesk enroll est {}", identity.id)
            }
            profile::EnrollMethod::Portal { .. } => {
                eprintln!("Next: certdesk enroll portal {}", identity.id)
            }
            profile::EnrollMethod::Scep { .. } => eprintln!(
                "Next: certdesk enroll scep {} --challenge-file FILE (the challenge password your help desk gave you)",
                identity.id
            ),
            profile::EnrollMethod::Email { to } => eprintln!(
                "Next: certdesk request email {} --out request.eml, and send it to {to}",
                identity.id
            ),
        }
    }
    Ok(Outcome::Success)
}

pub(crate) fn report(wallet: &Wallet, as_json: bool, args: ReportArgs) -> anyhow::Result<Outcome> {
    let report = certdesk_core::report::build_report(wallet, &args.id, env!("CARGO_PKG_VERSION"))?;
    let body = if as_json {
        let mut v = serde_json::to_vec_pretty(&report)?;
        v.push(b'\n');
        v
    } else {
        report.to_text().into_bytes()
    };
    match &args.out {
        Some(out) => {
            write_atomic(out, &body, FileMode::Private)?;
            if as_json {
                render::json(&json!({ "out": out }))?;
            } else {
                outln!(
                    "Wrote the diagnostic report for {} to {} (no keys, passwords or codes are in it).",
                    report.identity.label,
                    out.display()
                );
            }
        }
        None => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout();
            if let Err(e) = stdout.write_all(&body) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(e.into());
                }
            }
        }
    }
    Ok(Outcome::Success)
}

fn describe_source(status: &SourceStatus) -> String {
    match status {
        SourceStatus::Good => "good (not revoked)".into(),
        SourceStatus::Revoked { revoked_at, reason } => format!(
            "REVOKED on {}{}",
            revoked_at.date(),
            reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
        SourceStatus::Unknown { detail, .. } => format!("unknown: {detail}"),
    }
}

pub(crate) fn status(wallet: &Wallet, as_json: bool, args: StatusArgs) -> anyhow::Result<Outcome> {
    let identity = wallet.get(&args.id)?;
    let options = StatusOptions {
        renew_within_days: args.renew_within,
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
        offline: args.offline,
    };
    let report = revocation::check_status(&identity, &options)?;
    if as_json {
        render::json(&report)?;
    } else {
        outln!("{} ({})", report.label, report.id);
        outln!("  {}", report.expiry.sentence);
        for c in &report.revocation {
            let name = if c.source == "crl" { "CRL " } else { "OCSP" };
            outln!(
                "  {name}  {}{}",
                describe_source(&c.status),
                c.url
                    .as_deref()
                    .map(|u| format!("  [{u}]"))
                    .unwrap_or_default()
            );
        }
        let verdict = match report.overall {
            Overall::Good => "Status: good.",
            Overall::RenewSoon => "Status: good, but renew soon.",
            Overall::Revoked => {
                "Status: REVOKED. Do not use this certificate; ask your help desk for a new one."
            }
            Overall::Expired => "Status: not valid now (expired or not yet valid).",
            Overall::Unknown => "Status: valid, but whether it was revoked could not be checked.",
        };
        outln!("{verdict}");
    }
    Ok(match report.overall {
        Overall::Revoked | Overall::Expired => Outcome::CheckFailed,
        _ => Outcome::Success,
    })
}
