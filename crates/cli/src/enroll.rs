//! `certdesk enroll est|scep|portal|resume`, `certdesk renew` and `certdesk request email`: a thin
//! layer over certdesk_flows::enroll (arguments in, outcome laid out).

use std::path::{Path, PathBuf};
use std::time::Duration;

use certdesk_core::enroll::portal::PortalUpload;
use certdesk_core::enroll::{self, est, AuthSettings, EnrollOutcome};
use certdesk_core::fsutil::{write_atomic, FileMode};
use certdesk_core::secret::SecretString;
use certdesk_flows::enroll::{
    Credentials, Destination, EnrollProblem, EnrollRequest, MethodKind, Prepared, TrustChoice,
};
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
    #[arg(long, value_enum, default_value_t = PortalUpload::Form)]
    mode: PortalUpload,
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

/// The trust the flags chose (the CA file read, `--insecure` warned about).
fn trust_choice(args: &TrustArgs) -> anyhow::Result<TrustChoice> {
    let ca_file = match &args.ca_file {
        Some(f) => Some((read_file(f)?, f.display().to_string())),
        None => None,
    };
    if args.insecure {
        eprintln!("warning: --insecure: the server's identity is NOT checked; anyone on the network could pose as it");
    }
    Ok(TrustChoice {
        ca_file,
        fingerprint: args.trust_fingerprint.clone(),
        insecure: args.insecure,
    })
}

/// The credentials the flags name, read from their files (the rules are the flows').
fn credentials(auth: &AuthArgs, token_file: Option<&Path>) -> anyhow::Result<Credentials> {
    let read = |f: Option<&Path>| f.map(SecretString::from_file).transpose();
    Ok(Credentials {
        user: auth.user.clone(),
        code: read(auth.password_file.as_deref())?,
        token: read(token_file)?,
    })
}

/// The command line's wording of a request that cannot be sent as asked.
pub(crate) fn problem_hint(problem: &EnrollProblem) -> String {
    match problem {
        EnrollProblem::NoAddress => {
            "give --url with the enrollment address your help desk gave you".into()
        }
        EnrollProblem::ProfileSaysEmail { .. } => {
            "use `certdesk request email ID --out request.eml`".into()
        }
        EnrollProblem::ProfileUsesOtherMethod { method, .. } => {
            format!("use `certdesk enroll {} ID`", method.as_str())
        }
        EnrollProblem::TokenAndPassword => {
            "give either --user with --password-file, or --token-file".into()
        }
        EnrollProblem::UserWithoutCode => {
            "--user needs --password-file with the code or password".into()
        }
        _ => "run `certdesk enroll --help`".into(),
    }
}

/// Prepares the target (the flows' rules) and says which profile it came from.
fn prepare(
    ctx: &Ctx,
    id: &str,
    expected: MethodKind,
    request: EnrollRequest,
) -> anyhow::Result<Prepared> {
    let prepared = certdesk_flows::enroll::prepare(&ctx.wallet, id, expected, request)?;
    if let (Some(profile), false) = (&prepared.profile, ctx.json) {
        outln!(
            "Using the help-desk profile \"{}\" ({}): {}",
            profile.name,
            profile.origin,
            prepared.target.method.url()
        );
    }
    Ok(prepared)
}

/// An EST request (enroll or renew) from the flags; no `--url` means the recorded server.
fn est_request(
    url: Option<String>,
    label: Option<String>,
    auth: &AuthArgs,
    trust: &TrustArgs,
) -> anyhow::Result<EnrollRequest> {
    Ok(EnrollRequest {
        destination: url.map(|url| Destination::Est { url, label }),
        credentials: credentials(auth, None)?,
        trust: trust_choice(trust)?,
        timeout_secs: Some(trust.timeout),
        ca_ident: None,
    })
}

pub(crate) fn est(ctx: &Ctx, args: EstArgs) -> anyhow::Result<Outcome> {
    let request = est_request(args.url, args.label, &args.auth, &args.trust)?;
    let prepared = prepare(ctx, &args.id, MethodKind::Est, request)?;
    // The key may sign the request again to meet the server's /csrattrs wishes (issue #3).
    send(ctx, &args.id, prepared, true)
}

pub(crate) fn portal(ctx: &Ctx, args: PortalArgs) -> anyhow::Result<Outcome> {
    let request = EnrollRequest {
        destination: args.url.map(|url| Destination::Portal {
            url,
            upload: args.mode,
            field: args.field,
        }),
        credentials: credentials(&args.auth, args.token_file.as_deref())?,
        trust: trust_choice(&args.trust)?,
        timeout_secs: Some(args.trust.timeout),
        ca_ident: None,
    };
    let prepared = prepare(ctx, &args.id, MethodKind::Portal, request)?;
    send(ctx, &args.id, prepared, false)
}

pub(crate) fn scep(ctx: &Ctx, args: ScepArgs) -> anyhow::Result<Outcome> {
    let ca_file = match &args.ca_file {
        Some(f) => Some((read_file(f)?, f.display().to_string())),
        None => None,
    };
    let request = EnrollRequest {
        destination: args.url.map(|url| Destination::Scep {
            url,
            ca_ident: args.ca_ident.clone(),
        }),
        credentials: Credentials {
            code: args
                .challenge_file
                .as_deref()
                .map(SecretString::from_file)
                .transpose()?,
            ..Credentials::default()
        },
        trust: TrustChoice {
            ca_file,
            fingerprint: args.ca_fingerprint,
            insecure: false,
        },
        timeout_secs: Some(args.timeout),
        ca_ident: args.ca_ident,
    };
    let prepared = prepare(ctx, &args.id, MethodKind::Scep, request)?;
    // SCEP signs the request and decrypts the answer with the request's key in this process.
    send(ctx, &args.id, prepared, true)
}

/// Sends a prepared request (the flows' enrollment) and lays out the outcome; `with_key` lets
/// the request's key be unlocked in this process (EST's re-signing, SCEP's signing and
/// decryption).
fn send(ctx: &Ctx, id: &str, prepared: Prepared, with_key: bool) -> anyhow::Result<Outcome> {
    let vault = ctx.vault().ok();
    let access = with_key.then(|| ctx.access());
    let outcome = certdesk_flows::enroll::enroll(
        &ctx.wallet,
        id,
        prepared,
        vault.as_deref(),
        access.as_ref(),
    )?;
    show(ctx, &outcome)
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
    let request = est_request(args.url, args.label, &args.auth, &args.trust)?;
    let (target, secret) = certdesk_flows::enroll::renewal_target(&ctx.wallet, &args.id, request)?;
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
