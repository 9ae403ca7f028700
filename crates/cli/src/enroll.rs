//! `certdesk enroll est|scep|portal|resume`, `certdesk renew` and `certdesk request email`: a thin
//! layer over certdesk_core::enroll (arguments in, outcome laid out).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;
use certdesk_core::enroll::portal::PortalMode;
use certdesk_core::enroll::{
    self, est, AuthSettings, EnrollMethod, EnrollOutcome, EnrollTarget, TrustSettings,
};
use certdesk_core::fsutil::{write_atomic, FileMode};
use certdesk_core::secret::SecretString;
use clap::{Args, Subcommand};
use serde_json::json;
use time::OffsetDateTime;

use super::{read_file, Ctx};
use crate::{render, Outcome};

#[derive(Debug, Subcommand)]
pub(crate) enum EnrollCmd {
    /// Send a waiting request to an EST server (RFC 7030) and store the certificate.
    Est(EstArgs),
    /// Upload a waiting request to a "paste/upload your CSR" web page and store the answer.
    Portal(PortalArgs),
    /// Send a waiting request to a SCEP server (RFC 8894: NDES, Intune, Jamf, EJBCA, step-ca…)
    /// with the challenge password, and store the certificate.
    Scep(ScepArgs),
    /// Ask again for a request the server holds for approval (or whose last attempt failed).
    Resume(ResumeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ScepArgs {
    /// Identity id (or unique prefix, or label) of the waiting request (an RSA key).
    id: String,
    /// The SCEP address, e.g. http://ndes.example.org/certsrv/mscep/mscep.dll (plain http is
    /// allowed for SCEP: the CA certificate is checked against a fingerprint instead). Default:
    /// the one in the help-desk profile the request was made with.
    #[arg(long)]
    url: Option<String>,
    /// File holding the challenge password (kept off the command line; sent only inside the
    /// request encrypted to the CA).
    #[arg(long, value_name = "FILE")]
    challenge_file: Option<PathBuf>,
    /// SHA-256 fingerprint of the SCEP CA certificate that your help desk confirmed.
    #[arg(long, value_name = "SHA256", conflicts_with = "ca_file")]
    ca_fingerprint: Option<String>,
    /// The SCEP CA certificate (PEM/DER) your help desk gave you; its fingerprint is checked.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// CA identifier sent with GetCACert, for servers that host several CAs.
    #[arg(long, value_name = "NAME")]
    ca_ident: Option<String>,
    /// Seconds to wait for connecting and for each answer.
    #[arg(long, default_value_t = certdesk_flows::limits::ENROLL_TIMEOUT_SECS, value_name = "SECONDS")]
    timeout: u64,
}

/// How to trust the enrollment server (shared by every enrollment command).
#[derive(Debug, Args)]
pub(crate) struct TrustArgs {
    /// CA certificate(s) of the server (PEM/DER), trusted instead of this computer's roots.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// SHA-256 fingerprint of the server's CA (or certificate) that your help desk confirmed.
    #[arg(long, value_name = "SHA256")]
    trust_fingerprint: Option<String>,
    /// Do not check the server's certificate AT ALL. Anyone on the network could pose as it.
    #[arg(long, conflicts_with_all = ["ca_file", "trust_fingerprint"])]
    insecure: bool,
    /// Seconds to wait for connecting and for each answer.
    #[arg(long, default_value_t = certdesk_flows::limits::ENROLL_TIMEOUT_SECS, value_name = "SECONDS")]
    timeout: u64,
}

/// Credentials (shared).
#[derive(Debug, Args)]
pub(crate) struct AuthArgs {
    /// User name for the server (HTTP Basic).
    #[arg(long)]
    user: Option<String>,
    /// File holding the enrollment code or password (kept off the command line).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct EstArgs {
    /// Identity id (or unique prefix, or label) of the waiting request.
    id: String,
    /// The EST server: https://host[:port] or https://host/.well-known/est[/label] (default:
    /// the one in the help-desk profile the request was made with).
    #[arg(long)]
    url: Option<String>,
    /// EST label (a CA or profile on a server that serves several).
    #[arg(long)]
    label: Option<String>,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    trust: TrustArgs,
}

#[derive(Debug, Args)]
pub(crate) struct PortalArgs {
    /// Identity id (or unique prefix, or label) of the waiting request.
    id: String,
    /// The address the page's form posts to (default: the help-desk profile's).
    #[arg(long)]
    url: Option<String>,
    /// How the page takes the request: form (a text field), multipart (a file upload), pem or
    /// der (the whole body).
    #[arg(long, default_value = "form")]
    mode: String,
    /// The form field's name (form and multipart; default: `file` for multipart, else `csr`).
    #[arg(long)]
    field: Option<String>,
    #[command(flatten)]
    auth: AuthArgs,
    /// File holding an access token (sent as `Authorization: Bearer`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["user", "password_file"])]
    token_file: Option<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ResumeArgs {
    /// Identity id (or unique prefix, or label).
    id: String,
    /// The enrollment code or password, if the keyring does not hold it.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Keep asking (as often as the server's Retry-After says) until the certificate arrives
    /// or this many minutes have passed.
    #[arg(long, value_name = "MINUTES")]
    wait: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct RenewArgs {
    /// Identity id (or unique prefix, or label) of an issued identity.
    id: String,
    /// A different EST server than the one that issued the certificate.
    #[arg(long)]
    url: Option<String>,
    /// EST label with --url.
    #[arg(long, requires = "url")]
    label: Option<String>,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    trust: TrustArgs,
}

#[derive(Debug, Args)]
pub(crate) struct EmailArgs {
    /// Identity id (or unique prefix, or label) of the waiting request.
    id: String,
    /// Where to write the message (.eml, opens in a mail program).
    #[arg(long)]
    out: PathBuf,
    /// The administrator's address.
    #[arg(long)]
    to: Option<String>,
}

fn trust_settings(args: &TrustArgs) -> anyhow::Result<TrustSettings> {
    let ca_pem = match &args.ca_file {
        Some(f) => {
            let bytes = read_file(f)?;
            // Validate now (and store as PEM): a bad CA file is the user's input error.
            let (certs, _, _) =
                certdesk_core::encoding::read_certificates(&bytes, &f.display().to_string())?;
            Some(
                certs
                    .iter()
                    .map(|c| certdesk_core::cert::to_pem(c))
                    .collect::<String>(),
            )
        }
        None => None,
    };
    let pinned_sha256 = match &args.trust_fingerprint {
        Some(fp) => Some(certdesk_core::csr::colon_hex(
            &certdesk_core::transport::parse_fingerprint(fp)?,
        )),
        None => None,
    };
    if args.insecure {
        eprintln!("warning: --insecure: the server's identity is NOT checked; anyone on the network could pose as it");
    }
    Ok(TrustSettings {
        ca_pem,
        pinned_sha256,
        insecure: args.insecure,
    })
}

fn credentials(
    auth: &AuthArgs,
    token_file: Option<&Path>,
) -> anyhow::Result<(AuthSettings, Option<SecretString>)> {
    if let Some(f) = token_file {
        return Ok((AuthSettings::Bearer, Some(SecretString::from_file(f)?)));
    }
    match (&auth.user, &auth.password_file) {
        (Some(user), Some(f)) => Ok((
            AuthSettings::Basic { user: user.clone() },
            Some(SecretString::from_file(f)?),
        )),
        (Some(_), None) => bail!("--user needs --password-file with the code or password"),
        (None, Some(f)) => Ok((
            // Many EST servers take a code without a user name; send an empty one.
            AuthSettings::Basic {
                user: String::new(),
            },
            Some(SecretString::from_file(f)?),
        )),
        (None, None) => Ok((AuthSettings::None, None)),
    }
}

/// The profile's target for this identity, with the command line's overrides applied.
fn from_profile(
    ctx: &Ctx,
    id: &str,
    want: &str,
    auth: &AuthArgs,
    trust: &TrustArgs,
) -> anyhow::Result<(EnrollTarget, Option<SecretString>)> {
    let Some(loaded) = certdesk_core::profile::profile_of(&ctx.wallet, id)? else {
        bail!("give --url: this request was not made with a help-desk profile that names a server");
    };
    let Some(mut target) = enroll::target_from_profile(&loaded.profile)? else {
        bail!(
            "the profile \"{}\" ({}) says to send the request by email: use `certdesk request email {id} --out request.eml`",
            loaded.profile.name,
            loaded.origin
        );
    };
    let method_name = match target.method {
        EnrollMethod::Est { .. } => "est",
        EnrollMethod::Portal { .. } => "portal",
        EnrollMethod::Scep { .. } => "scep",
    };
    if method_name != want {
        bail!(
            "the profile \"{}\" ({}) enrolls through {method_name}: use `certdesk enroll {method_name} {id}`",
            loaded.profile.name,
            loaded.origin
        );
    }
    if trust.ca_file.is_some() || trust.trust_fingerprint.is_some() || trust.insecure {
        target.trust = trust_settings(trust)?;
    }
    target.timeout_secs = trust.timeout;
    let secret = auth
        .password_file
        .as_deref()
        .map(SecretString::from_file)
        .transpose()?;
    if let (Some(user), AuthSettings::Basic { .. }) = (&auth.user, &target.auth) {
        target.auth = AuthSettings::Basic { user: user.clone() };
    }
    if !ctx.json {
        outln!(
            "Using the help-desk profile \"{}\" ({}): {}",
            loaded.profile.name,
            loaded.origin,
            target.method.url()
        );
    }
    Ok((target, secret))
}

pub(crate) fn est(ctx: &Ctx, args: EstArgs) -> anyhow::Result<Outcome> {
    let (target, secret) = match &args.url {
        Some(url) => {
            let base = est::est_base(url, args.label.as_deref())?;
            let (auth, secret) = credentials(&args.auth, None)?;
            (
                EnrollTarget {
                    method: EnrollMethod::Est { base },
                    trust: trust_settings(&args.trust)?,
                    auth,
                    timeout_secs: args.trust.timeout,
                },
                secret,
            )
        }
        None => from_profile(ctx, &args.id, "est", &args.auth, &args.trust)?,
    };
    let vault = ctx.vault().ok();
    // The key may sign the request again to meet the server's /csrattrs wishes (issue #3).
    let access = ctx.access();
    let outcome = enroll::enroll_with_access(
        &ctx.wallet,
        &args.id,
        target,
        secret,
        vault.as_deref(),
        Some(&access),
    )?;
    show(ctx, &outcome)
}

pub(crate) fn portal(ctx: &Ctx, args: PortalArgs) -> anyhow::Result<Outcome> {
    let (target, secret) = match &args.url {
        Some(url) => {
            let mode = portal_mode(&args.mode, args.field.as_deref())?;
            // certdesk_core::enroll refuses anything but https:// before a byte is sent.
            let url = url.trim().to_string();
            let (auth, secret) = credentials(&args.auth, args.token_file.as_deref())?;
            (
                EnrollTarget {
                    method: EnrollMethod::Portal { url, mode },
                    trust: trust_settings(&args.trust)?,
                    auth,
                    timeout_secs: args.trust.timeout,
                },
                secret,
            )
        }
        None => {
            let (target, secret) = from_profile(ctx, &args.id, "portal", &args.auth, &args.trust)?;
            let token = args
                .token_file
                .as_deref()
                .map(SecretString::from_file)
                .transpose()?;
            (target, token.or(secret))
        }
    };
    let vault = ctx.vault().ok();
    let outcome = enroll::enroll(&ctx.wallet, &args.id, target, secret, vault.as_deref())?;
    show(ctx, &outcome)
}

/// The SCEP target of the help-desk profile the request was made with; `--ca-fingerprint` /
/// `--ca-file`, `--ca-ident` and `--timeout` override it.
fn scep_from_profile(ctx: &Ctx, args: &ScepArgs) -> anyhow::Result<EnrollTarget> {
    let Some(loaded) = certdesk_core::profile::profile_of(&ctx.wallet, &args.id)? else {
        bail!("give --url: this request was not made with a help-desk profile that names a server");
    };
    let target = enroll::target_from_profile(&loaded.profile)?;
    let Some(mut target) = target.filter(|t| matches!(t.method, EnrollMethod::Scep { .. })) else {
        bail!(
            "the profile \"{}\" ({}) enrolls through {}: use `certdesk enroll {} {}`",
            loaded.profile.name,
            loaded.origin,
            loaded.profile.enroll.method.name(),
            loaded.profile.enroll.method.name(),
            args.id
        );
    };
    if let EnrollMethod::Scep {
        ca_sha256,
        ca_ident,
        ..
    } = &mut target.method
    {
        if let Some(pin) = scep_ca_pin(args)? {
            *ca_sha256 = Some(pin);
        }
        if args.ca_ident.is_some() {
            ca_ident.clone_from(&args.ca_ident);
        }
    }
    target.timeout_secs = args.timeout;
    if !ctx.json {
        outln!(
            "Using the help-desk profile \"{}\" ({}): {}",
            loaded.profile.name,
            loaded.origin,
            target.method.url()
        );
    }
    Ok(target)
}

/// The SCEP CA fingerprint from `--ca-fingerprint` or `--ca-file` (the file's first
/// certificate), as colon hex.
fn scep_ca_pin(args: &ScepArgs) -> anyhow::Result<Option<String>> {
    if let Some(fp) = &args.ca_fingerprint {
        return Ok(Some(certdesk_core::csr::colon_hex(
            &certdesk_core::transport::parse_fingerprint(fp)?,
        )));
    }
    let Some(f) = &args.ca_file else {
        return Ok(None);
    };
    let bytes = read_file(f)?;
    let (certs, _, _) =
        certdesk_core::encoding::read_certificates(&bytes, &f.display().to_string())?;
    let Some(first) = certs.first() else {
        bail!("{} holds no certificate", f.display());
    };
    Ok(Some(enroll::scep::fingerprint(first)))
}

pub(crate) fn scep(ctx: &Ctx, args: ScepArgs) -> anyhow::Result<Outcome> {
    let target = match &args.url {
        Some(url) => EnrollTarget {
            method: EnrollMethod::Scep {
                url: enroll::scep::scep_url(url)?,
                ca_sha256: scep_ca_pin(&args)?,
                ca_ident: args.ca_ident.clone(),
            },
            trust: TrustSettings::default(),
            auth: AuthSettings::None,
            timeout_secs: args.timeout,
        },
        None => scep_from_profile(ctx, &args)?,
    };
    let challenge = args
        .challenge_file
        .as_deref()
        .map(SecretString::from_file)
        .transpose()?;
    let vault = ctx.vault().ok();
    // SCEP signs the request and decrypts the answer with the request's key in this process.
    let access = ctx.access();
    let outcome = enroll::enroll_with_access(
        &ctx.wallet,
        &args.id,
        target,
        challenge,
        vault.as_deref(),
        Some(&access),
    )?;
    show(ctx, &outcome)
}

/// `--mode` and `--field` as a portal mode; without `--field`, the default both front ends use.
fn portal_mode(mode: &str, field: Option<&str>) -> anyhow::Result<PortalMode> {
    let field = field.unwrap_or(certdesk_flows::portal::default_portal_field(mode));
    Ok(PortalMode::parse(mode, field)?)
}

pub(crate) fn resume(ctx: &Ctx, args: ResumeArgs) -> anyhow::Result<Outcome> {
    let secret = args
        .password_file
        .as_deref()
        .map(SecretString::from_file)
        .transpose()?;
    let vault = ctx.vault().ok();
    let access = ctx.access();
    let deadline = args
        .wait
        .map(|m| std::time::Instant::now() + Duration::from_secs(m * 60));
    loop {
        let outcome = enroll::resume(
            &ctx.wallet,
            &args.id,
            secret.clone(),
            vault.as_deref(),
            Some(&access),
        )?;
        match (&outcome, deadline) {
            (EnrollOutcome::Pending { next_attempt, .. }, Some(deadline)) => {
                let wait = (*next_attempt - OffsetDateTime::now_utc())
                    .max(time::Duration::ZERO)
                    .unsigned_abs();
                if std::time::Instant::now() + wait > deadline {
                    return show(ctx, &outcome);
                }
                if !ctx.json {
                    outln!(
                        "Still waiting for approval; asking again in {} s.",
                        wait.as_secs()
                    );
                }
                std::thread::sleep(wait);
            }
            _ => return show(ctx, &outcome),
        }
    }
}

pub(crate) fn renew(ctx: &Ctx, args: RenewArgs) -> anyhow::Result<Outcome> {
    let (auth, secret) = credentials(&args.auth, None)?;
    let explicit_trust = args.trust.ca_file.is_some()
        || args.trust.trust_fingerprint.is_some()
        || args.trust.insecure;
    let recorded = enroll::enrollment_state(&ctx.wallet, &args.id)?;
    let target = match (&args.url, recorded) {
        (Some(url), _) => Some(EnrollTarget {
            method: EnrollMethod::Est {
                base: est::est_base(url, args.label.as_deref())?,
            },
            trust: trust_settings(&args.trust)?,
            auth,
            timeout_secs: args.trust.timeout,
        }),
        (None, Some(mut state)) if explicit_trust => {
            state.target.trust = trust_settings(&args.trust)?;
            Some(state.target)
        }
        (None, _) => None,
    };
    let home = certdesk_flows::home::user_home().ok();
    let renewal = certdesk_flows::renew::renew_and_follow_up(
        &ctx.wallet,
        &args.id,
        &ctx.access(),
        target,
        secret,
        home.as_deref(),
        &mut |_| {},
    )?;
    let outcome = &renewal.outcome;
    let Some(follow_up) = &renewal.follow_up else {
        return show(ctx, outcome);
    };
    // Issue #7: after a renewal, the new certificate goes wherever the old one was, and the
    // profile's sites are checked again with it.
    let id = outcome_id(outcome);
    let reinstalled = reinstalled_lines(&follow_up.stores, id);
    let checks = &follow_up.site_checks;
    if ctx.json {
        render::json(&json!({
            "renewal": outcome,
            "reinstalled": reinstalled,
            "site_checks": checks.iter().map(|c| match &c.result {
                Ok(r) => json!({ "url": c.url, "verdict": r.verdict, "sentence": r.sentence }),
                Err(e) => json!({ "url": c.url, "error": e.to_string(), "hint": e.hint() }),
            }).collect::<Vec<_>>(),
        }))?;
    } else {
        show(ctx, outcome)?;
        for line in &reinstalled {
            outln!("{line}");
        }
        for check in checks {
            match &check.result {
                Ok(r) => outln!(
                    "Checked {} with the new certificate: {}",
                    check.url,
                    r.sentence
                ),
                Err(e) => outln!("Could not check {}: {e}", check.url),
            }
        }
    }
    Ok(if follow_up.all_accepted() {
        Outcome::Success
    } else {
        Outcome::CheckFailed
    })
}

fn outcome_id(outcome: &EnrollOutcome) -> &str {
    match outcome {
        EnrollOutcome::Issued { import, .. } => &import.identity.id,
        EnrollOutcome::Pending { identity, .. } | EnrollOutcome::AlreadyIssued { identity } => {
            &identity.id
        }
    }
}

/// The store part of the follow-up as report lines. Failures are lines, not the command's
/// error: the renewal itself succeeded.
fn reinstalled_lines(
    stores: &Result<Vec<certdesk_store::Replacement>, certdesk_flows::Error>,
    id: &str,
) -> Vec<String> {
    match stores {
        Ok(replaced) => replaced
            .iter()
            .map(|r| match &r.result {
                Ok(()) => format!(
                    "Replaced the old certificate with the new one in {}",
                    r.store
                ),
                Err(e) => format!(
                    "Could not update {}: {e} (run `certdesk install {id} --to …`)",
                    r.store
                ),
            })
            .collect(),
        // Without a home there is no store to look in, as before.
        Err(certdesk_flows::Error::NoHome) => Vec::new(),
        Err(e) => vec![format!(
            "Could not look for the old certificate in this computer's stores: {e}"
        )],
    }
}

pub(crate) fn email(ctx: &Ctx, args: EmailArgs) -> anyhow::Result<Outcome> {
    let handoff = enroll::email_request(&ctx.wallet, &args.id, args.to.as_deref())?;
    write_atomic(&args.out, handoff.eml.as_bytes(), FileMode::Private)?;
    if ctx.json {
        render::json(&json!({
            "written": args.out.display().to_string(),
            "mailto": handoff.mailto,
            "request_sha256": handoff.fingerprint,
        }))?;
    } else {
        outln!(
            "Wrote {}: open it with your mail program and send it.",
            args.out.display()
        );
        outln!("  request SHA-256: {}", handoff.fingerprint);
        outln!("  (the administrator can confirm this fingerprint with you by phone)");
        outln!("When the certificate comes back: certdesk import FILE");
    }
    Ok(Outcome::Success)
}

fn show(ctx: &Ctx, outcome: &EnrollOutcome) -> anyhow::Result<Outcome> {
    if ctx.json {
        render::json(outcome)?;
        return Ok(Outcome::Success);
    }
    match outcome {
        EnrollOutcome::Issued {
            import,
            csr_attributes,
        } => {
            render::import_outcome(import);
            for a in csr_attributes
                .iter()
                .filter(|a| a.status != est::AttributeStatus::Satisfied)
            {
                outln!("note: the server asked for {}: {}", a.name, a.note);
                match a.fix {
                    Some(est::RequestFix::NewKey { key }) => outln!(
                        "  on the command line: certdesk request new … --key {}",
                        key.as_str()
                    ),
                    Some(est::RequestFix::AddEmail) => {
                        outln!("  on the command line: certdesk request new … --email ADDRESS")
                    }
                    None => {}
                }
            }
        }
        EnrollOutcome::Pending {
            identity,
            next_attempt,
            retry_after_secs,
        } => {
            outln!(
                "The server holds the request of {} ({}) for approval.",
                identity.label,
                identity.id
            );
            // Without a keyring the code was not kept: say that resuming needs it again.
            let code_kept = enroll::enrollment_state(&ctx.wallet, &identity.id)
                .ok()
                .flatten()
                .is_none_or(|s| s.credential_in_keyring || s.target.auth == AuthSettings::None);
            outln!(
                "Ask again after {} (in {} s): certdesk enroll resume {}{} [--wait MINUTES]",
                next_attempt
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                retry_after_secs,
                identity.id,
                if code_kept {
                    ""
                } else {
                    " --password-file FILE"
                }
            );
            if !code_kept {
                outln!("(no keyring holds your code, so give it again when you resume)");
            }
        }
        EnrollOutcome::AlreadyIssued { identity } => {
            outln!(
                "Nothing to do: {} ({}) already has its certificate.",
                identity.label,
                identity.id
            );
        }
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_portal_file_upload_without_field_sends_the_file_field_like_the_app() {
        // Issue #13: the CLI sent `csr` here while core's profiles and the app sent `file`.
        assert_eq!(
            portal_mode("multipart", None).expect("multipart"),
            PortalMode::Multipart {
                field: "file".into()
            }
        );
        assert_eq!(
            portal_mode("form", None).expect("form"),
            PortalMode::Form {
                field: "csr".into()
            }
        );
        assert_eq!(
            portal_mode("multipart", Some("csr")).expect("explicit"),
            PortalMode::Multipart {
                field: "csr".into()
            }
        );
    }
}
