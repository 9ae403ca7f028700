//! Argument definitions (the CLI contract) and their dispatch to certdesk-core.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use certdesk_core::csr::{CsrSpec, SubjectSpec};
use certdesk_core::fsutil::{write_atomic, FileMode};
use certdesk_core::key::KeySpec;
use certdesk_core::pkcs12::P12Profile;
use certdesk_core::secret::{generate_password, SecretString};
use certdesk_core::vault::{os_vault, SecretVault};
use certdesk_core::wallet::{
    default_home, KeyAccess, KeyExport, KeyProtection, NewRequest, Wallet,
};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::{render, Outcome};

// A child of this module, so that it shares `Ctx` (wallet, --json, --passphrase-file).
#[path = "enroll.rs"]
pub(crate) mod enroll;
#[path = "practice.rs"]
mod practice;
#[path = "schedule.rs"]
mod schedule;
#[path = "watch.rs"]
mod watch;

/// Where `--home` defaults to: `certdesk_core::wallet::default_home`, `dirs::data_dir` of each
/// platform, named the way its users know it (issue #17).
#[cfg(windows)]
const HOME_HELP: &str = r"Wallet directory (default: %CERTDESK_HOME%, else %APPDATA%\certdesk)";
#[cfg(target_os = "macos")]
const HOME_HELP: &str =
    "Wallet directory (default: $CERTDESK_HOME, else ~/Library/Application Support/certdesk)";
#[cfg(not(any(windows, target_os = "macos")))]
const HOME_HELP: &str = "Wallet directory (default: $CERTDESK_HOME, else ~/.local/share/certdesk)";

/// certdesk: get a TLS client certificate and prove that it works.
#[derive(Debug, Parser)]
#[command(name = "certdesk", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    #[arg(long, global = true, value_name = "DIR", help = HOME_HELP)]
    home: Option<PathBuf>,
    /// Print results as JSON.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Protect new keys with the passphrase in this file instead of the OS keyring, and unlock
    /// keys protected that way.
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// The user PIN of a security key, smart card or TPM (a file holding only the PIN), for
    /// identities whose key is on one. Used for one operation, never stored.
    #[arg(long, global = true, value_name = "FILE")]
    pin_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a key and a certificate request, or export a request.
    #[command(subcommand)]
    Request(RequestCmd),
    /// Import a certificate reply (PEM, DER, base64, PKCS#7), or a .p12/.pfx with --password-file.
    Import(ImportArgs),
    /// Write a PKCS#12 file or PEM files of an identity.
    #[command(subcommand)]
    Export(ExportCmd),
    /// List, show or delete identities.
    #[command(subcommand)]
    Identity(IdentityCmd),
    /// Explain a certificate, request, .p12 or .p7b in plain words.
    Inspect(InspectArgs),
    /// Make a real mTLS request to a site and explain whether it accepts the certificate.
    Probe(ProbeArgs),
    /// Check a help-desk enrollment profile.
    #[command(subcommand)]
    Profile(crate::helpdesk::ProfileCmd),
    /// Write a diagnostic report about an identity for a help desk (no keys, passwords or codes).
    Report(crate::helpdesk::ReportArgs),
    /// Expiry and revocation status (CRL, OCSP) of an identity's certificate.
    Status(crate::helpdesk::StatusArgs),
    /// Send a waiting request to an EST server or an upload page, or ask again for a pending one.
    #[command(subcommand)]
    Enroll(enroll::EnrollCmd),
    /// Renew an identity's certificate through EST (authenticated with the current certificate).
    Renew(enroll::RenewArgs),
    /// Check every certificate: renew the ones that are due where no one needs to act, and
    /// say in a desktop notification what needs you (--install-schedule: daily).
    Watch(watch::WatchArgs),
    /// Run the built-in practice CA (EST + an mTLS practice site on 127.0.0.1), offline.
    #[command(subcommand)]
    Practice(practice::PracticeCmd),
    /// Install an identity into browser/OS certificate stores (NSS, Keychain, Windows).
    Install(crate::install::InstallArgs),
    /// Remove an identity (certificate and key) from browser/OS certificate stores.
    Uninstall(crate::install::UninstallArgs),
    /// List the certificate stores on this computer and where each identity is installed.
    Stores,
    /// Trust a private server CA for websites in NSS stores (only on this explicit request).
    TrustCa(crate::install::TrustCaArgs),
    /// List security keys, smart cards and TPMs (PKCS#11 modules and tokens) and what each can sign.
    Tokens(crate::tokens::TokensArgs),
}

impl Cli {
    /// Whether the command makes keys, encrypts or opens TLS connections, and so draws from
    /// aws-lc's random generator (whose first seeding `main` starts early for these only).
    pub(crate) fn draws_randomness(&self) -> bool {
        !matches!(
            self.command,
            Command::Identity(_)
                | Command::Inspect(_)
                | Command::Profile(_)
                | Command::Report(_)
                | Command::Uninstall(_)
                | Command::Stores
                | Command::TrustCa(_)
                | Command::Tokens(_)
        )
    }
}

#[derive(Debug, Subcommand)]
enum RequestCmd {
    /// Generate a key on this computer and a certificate request for it; prints the new id.
    New(NewArgs),
    /// Write the request of an identity to a file for the issuer.
    Export {
        /// Identity id (or unique prefix, or label).
        id: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// PEM (text, the default) or DER (binary).
        #[arg(long, value_enum, default_value_t = CsrFormat::Pem)]
        format: CsrFormat,
    },
    /// Write a ready email (.eml) with the request for an administrator who signs by hand.
    Email(enroll::EmailArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CsrFormat {
    Pem,
    Der,
}

#[derive(Debug, Args)]
struct NewArgs {
    /// Subject, e.g. "CN=Alice Example,O=Example Corp,OU=Staff,C=DE".
    #[arg(long, required_unless_present_any = ["name", "profile"])]
    subject: Option<String>,
    /// Your name (the CN), instead of --subject.
    #[arg(long, conflicts_with = "subject")]
    name: Option<String>,
    /// Email address (goes into the subject and the certificate's alternative names).
    #[arg(long)]
    email: Option<String>,
    /// Windows logon name (UPN), for smart-card style logon certificates.
    #[arg(long)]
    upn: Option<String>,
    /// Key type (default: ec-p256, or the profile's default).
    #[arg(long, value_parser = parse_key_spec)]
    key: Option<KeySpec>,
    /// A name for this identity (default: the CN).
    #[arg(long)]
    label: Option<String>,
    /// File with the enrollment code to embed as challengePassword (some CAs require it).
    #[arg(long, value_name = "FILE")]
    challenge_password_file: Option<PathBuf>,
    /// A help-desk enrollment profile: fixes the subject's organisation, the allowed key types
    /// and how to enroll (see docs/profile-format.md). A file, an https:// URL or a
    /// certdesk://profile?url=… link (downloaded with this computer's roots).
    #[arg(long, value_name = "FILE|URL")]
    profile: Option<PathBuf>,
    /// This device's name, added to the label ("Alice Example (laptop)"); with --profile the
    /// default is the computer's host name. One certificate per device: never copy keys.
    #[arg(long, value_name = "NAME")]
    device: Option<String>,
    /// Make the key on this security key, smart card or TPM (its label or serial number, see
    /// `certdesk tokens`): it never leaves the device. Needs --pin-file.
    #[arg(long, value_name = "LABEL|SERIAL", conflicts_with = "profile")]
    token: Option<String>,
    /// The token's PKCS#11 module (default: search the modules found on this computer).
    #[arg(long, value_name = "PATH", requires = "token")]
    module: Option<PathBuf>,
}

fn parse_key_spec(s: &str) -> Result<KeySpec, String> {
    KeySpec::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The file the issuer sent (certificate, chain, .p7b), or a .p12/.pfx.
    file: PathBuf,
    /// The identity this certificate belongs to (default: find it automatically).
    #[arg(long)]
    identity: Option<String>,
    /// Password of a .p12/.pfx file.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Label for an identity imported from a .p12.
    #[arg(long)]
    label: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ExportCmd {
    /// Write a PKCS#12 (.p12) file with the key, certificate and chain.
    P12 {
        /// Identity id (or unique prefix, or label).
        id: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// File with the password to set (default: a strong one is generated and shown once).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        /// modern (AES, current systems) or compatible (3DES, for macOS Keychain and older Windows).
        #[arg(long, default_value = "modern", value_parser = parse_profile)]
        profile: P12Profile,
    },
    /// Write the certificate chain as PEM, and optionally the key (encrypted).
    Pem {
        /// Identity id (or unique prefix, or label).
        id: String,
        /// Where to write the certificate and its chain.
        #[arg(long)]
        cert_out: PathBuf,
        /// Where to write the private key (encrypted with --password-file).
        #[arg(long, requires = "key_protection")]
        key_out: Option<PathBuf>,
        /// Password for the exported key.
        #[arg(long, value_name = "FILE", group = "key_protection")]
        password_file: Option<PathBuf>,
        /// Write the key WITHOUT encryption. Anyone who gets the file can use your identity.
        #[arg(long, group = "key_protection")]
        insecure_unencrypted_key: bool,
    },
}

fn parse_profile(s: &str) -> Result<P12Profile, String> {
    P12Profile::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
enum IdentityCmd {
    /// List the identities in the wallet.
    List,
    /// Show one identity in plain words.
    Show {
        /// Identity id (or unique prefix, or label).
        id: String,
    },
    /// Delete an identity, its key and its keyring secret.
    Delete {
        /// Identity id (or unique prefix, or label).
        id: String,
    },
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// Certificate, chain, request, .p7b or .p12 file.
    file: PathBuf,
    /// Password of a .p12 file.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
}

pub(crate) struct Ctx {
    wallet: Wallet,
    json: bool,
    passphrase: Option<SecretString>,
    pin: Option<SecretString>,
}

impl Ctx {
    fn vault(&self) -> anyhow::Result<Arc<dyn SecretVault>> {
        Ok(os_vault()?)
    }

    /// New keys go under the passphrase when one was given, else into the keyring.
    fn protection(&self) -> anyhow::Result<KeyProtection> {
        Ok(match &self.passphrase {
            Some(p) => KeyProtection::Passphrase(p.clone()),
            None => KeyProtection::Keyring(self.vault()?),
        })
    }

    fn access(&self) -> KeyAccess {
        KeyAccess {
            vault: os_vault().ok(),
            passphrase: self.passphrase.clone(),
            pin: self.pin.clone(),
        }
    }
}

fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| {
        anyhow::Error::new(certdesk_core::Error::Io {
            op: "read",
            path: path.to_path_buf(),
            source,
        })
    })
}

fn display_name(path: &Path) -> String {
    path.display().to_string()
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let home = match cli.home {
        Some(h) => h,
        None => default_home()?,
    };
    let passphrase = cli
        .passphrase_file
        .as_deref()
        .map(SecretString::from_file)
        .transpose()?;
    let pin = cli
        .pin_file
        .as_deref()
        .map(SecretString::from_file)
        .transpose()?;
    let ctx = Ctx {
        wallet: Wallet::open(home)?,
        json: cli.json,
        passphrase,
        pin,
    };
    match cli.command {
        Command::Request(RequestCmd::New(args)) => request_new(&ctx, args),
        Command::Request(RequestCmd::Export { id, out, format }) => {
            request_export(&ctx, &id, &out, format)
        }
        Command::Import(args) => import(&ctx, args),
        Command::Export(ExportCmd::P12 {
            id,
            out,
            password_file,
            profile,
        }) => export_p12(&ctx, &id, &out, password_file.as_deref(), profile),
        Command::Export(ExportCmd::Pem {
            id,
            cert_out,
            key_out,
            password_file,
            insecure_unencrypted_key,
        }) => export_pem(
            &ctx,
            &id,
            &cert_out,
            key_out.as_deref(),
            password_file.as_deref(),
            insecure_unencrypted_key,
        ),
        Command::Identity(IdentityCmd::List) => {
            let list = ctx.wallet.list()?;
            if ctx.json {
                render::json(&list)?;
            } else {
                render::identity_list(&list);
            }
            Ok(Outcome::Success)
        }
        Command::Identity(IdentityCmd::Show { id }) => {
            let identity = ctx.wallet.get(&id)?;
            let summary = identity.summary()?;
            if ctx.json {
                render::json(&json!({
                    "summary": summary,
                    "protection": identity.protection,
                    "origin": identity.origin,
                    "csr_pem": identity.csr_pem,
                    "certificate_pem": identity.certificate_pem,
                    "chain_pem": identity.chain_pem,
                    "previous_certificates": identity.previous_certificates,
                    "certificate": identity.certificate_info()?,
                    "import_warnings": identity.import_warnings,
                }))?;
            } else {
                render::identity_show(&identity, &summary)?;
            }
            Ok(Outcome::Success)
        }
        Command::Identity(IdentityCmd::Delete { id }) => {
            let vault = os_vault().ok();
            let gone = ctx.wallet.delete(&id, vault.as_deref())?;
            if ctx.json {
                render::json(&json!({ "deleted": gone.id, "label": gone.label }))?;
            } else {
                match gone.protection.token() {
                    Some(t) => outln!(
                        "Deleted {} ({}) from the wallet; its key and certificate stay on the token \"{}\".",
                        gone.label,
                        gone.id,
                        t.token_label
                    ),
                    None => outln!("Deleted {} ({}) and its private key.", gone.label, gone.id),
                }
            }
            Ok(Outcome::Success)
        }
        Command::Inspect(args) => inspect(&ctx, args),
        Command::Probe(args) => probe(&ctx, args),
        Command::Profile(cmd) => crate::helpdesk::profile_cmd(cmd, ctx.json),
        Command::Report(args) => crate::helpdesk::report(&ctx.wallet, ctx.json, args),
        Command::Status(args) => crate::helpdesk::status(&ctx.wallet, ctx.json, args),
        Command::Practice(cmd) => practice::run(&ctx, cmd),
        Command::Enroll(enroll::EnrollCmd::Est(args)) => enroll::est(&ctx, args),
        Command::Enroll(enroll::EnrollCmd::Portal(args)) => enroll::portal(&ctx, args),
        Command::Enroll(enroll::EnrollCmd::Scep(args)) => enroll::scep(&ctx, args),
        Command::Enroll(enroll::EnrollCmd::Resume(args)) => enroll::resume(&ctx, args),
        Command::Renew(args) => enroll::renew(&ctx, args),
        Command::Watch(args) => watch::run(&ctx, args),
        Command::Request(RequestCmd::Email(args)) => enroll::email(&ctx, args),
        Command::Install(args) => {
            crate::install::install(&ctx.wallet, &ctx.access(), ctx.json, args)
        }
        Command::Uninstall(args) => crate::install::uninstall(&ctx.wallet, ctx.json, args),
        Command::Stores => crate::install::stores(&ctx.wallet, ctx.json),
        Command::TrustCa(args) => crate::install::trust_ca(ctx.json, args),
        Command::Tokens(args) => crate::tokens::tokens(ctx.json, args),
    }
}

fn request_new(ctx: &Ctx, args: NewArgs) -> anyhow::Result<Outcome> {
    if let Some(profile) = &args.profile {
        let challenge_password = args
            .challenge_password_file
            .as_deref()
            .map(SecretString::from_file)
            .transpose()?;
        return crate::helpdesk::request_new_with_profile(
            &ctx.wallet,
            ctx.json,
            &ctx.protection()?,
            crate::helpdesk::ProfileRequest {
                profile,
                subject: args.subject.as_deref(),
                name: args.name.as_deref(),
                email: args.email.as_deref(),
                upn: args.upn.as_deref(),
                key: args.key,
                label: args.label.as_deref(),
                device: args.device.as_deref(),
                challenge_password,
            },
        );
    }
    let mut subject = match (&args.subject, &args.name) {
        (Some(dn), _) => SubjectSpec::parse_dn(dn)?,
        (None, Some(name)) => SubjectSpec::with_common_name(name.clone()),
        (None, None) => bail!("give --subject \"CN=…\" or --name"),
    };
    if let Some(email) = args.email {
        subject.email = Some(email);
    }
    subject.upn = args.upn;
    let challenge_password = args
        .challenge_password_file
        .as_deref()
        .map(SecretString::from_file)
        .transpose()?;
    let label = certdesk_core::profile::device_label(
        &subject.common_name,
        args.label.as_deref(),
        args.device.as_deref(),
    );
    let request = NewRequest {
        label,
        csr: CsrSpec {
            subject,
            challenge_password,
        },
        key_type: args.key.unwrap_or_default(),
        via: "cli".into(),
    };
    let identity = match &args.token {
        Some(wanted) => {
            let pin = ctx
                .pin
                .as_ref()
                .context("--token needs the token's user PIN: give --pin-file FILE")?;
            certdesk_flows::token::request_on_token(
                &ctx.wallet,
                &request,
                certdesk_flows::token::TokenChoice {
                    wanted,
                    module: args.module.as_deref(),
                },
                pin,
            )?
        }
        None => ctx.wallet.create_request(&request, &ctx.protection()?)?,
    };
    let on_token = identity.protection.token().cloned();
    let csr = identity.csr()?.context("the new identity has no request")?;
    if ctx.json {
        render::json(&json!({
            "id": identity.id,
            "label": identity.label,
            "key_type": identity.key_type,
            "subject": identity.summary()?.subject,
            "csr_pem": csr.pem(),
            "csr_sha256": csr.fingerprint_sha256(),
            "token": on_token,
        }))?;
    } else {
        outln!("{}", identity.id);
        match &on_token {
            Some(t) => eprintln!(
                "Created a private key ({}) on the token \"{}\" (it never leaves it) and a request for \"{}\".",
                identity.key_type.describe(),
                t.token_label,
                identity.summary()?.subject
            ),
            None => eprintln!(
                "Created a private key ({}) on this computer and a request for \"{}\".",
                identity.key_type.describe(),
                identity.summary()?.subject
            ),
        }
        eprintln!(
            "Next: certdesk request export {} --out request.csr, send it to your issuer,",
            identity.id
        );
        eprintln!("then: certdesk import THE-FILE-YOU-GET-BACK");
    }
    Ok(Outcome::Success)
}

fn request_export(ctx: &Ctx, id: &str, out: &Path, format: CsrFormat) -> anyhow::Result<Outcome> {
    let identity = ctx.wallet.get(id)?;
    let csr = identity.csr()?.with_context(|| {
        format!(
            "identity {} was imported from a file and has no request",
            identity.id
        )
    })?;
    match format {
        CsrFormat::Pem => write_atomic(out, csr.pem().as_bytes(), FileMode::Public)?,
        CsrFormat::Der => write_atomic(out, csr.der(), FileMode::Public)?,
    }
    if ctx.json {
        render::json(
            &json!({ "id": identity.id, "out": out, "sha256": csr.fingerprint_sha256() }),
        )?;
    } else {
        outln!(
            "Wrote the request of {} to {}",
            identity.label,
            out.display()
        );
        outln!("  SHA-256: {}", csr.fingerprint_sha256());
    }
    Ok(Outcome::Success)
}

fn import(ctx: &Ctx, args: ImportArgs) -> anyhow::Result<Outcome> {
    let bytes = read_file(&args.file)?;
    let name = display_name(&args.file);
    if let Some(pw_file) = &args.password_file {
        let password = SecretString::from_file(pw_file)?;
        let identity =
            ctx.wallet
                .import_pkcs12(&bytes, &password, &name, args.label, &ctx.protection()?)?;
        let summary = identity.summary()?;
        if ctx.json {
            render::json(&json!({ "imported": "pkcs12", "identity": summary }))?;
        } else {
            outln!("Imported {} ({}) from {}.", summary.label, summary.id, name);
            outln!("  subject:   {}", summary.subject);
            if let Some(i) = &summary.issuer {
                outln!("  issued by: {i}");
            }
        }
        return Ok(Outcome::Success);
    }
    let outcome =
        certdesk_flows::import::import_reply(&ctx.wallet, &bytes, &name, args.identity.as_deref())?;
    if ctx.json {
        render::json(&outcome)?;
    } else {
        render::import_outcome(&outcome);
    }
    Ok(Outcome::Success)
}

fn export_p12(
    ctx: &Ctx,
    id: &str,
    out: &Path,
    password_file: Option<&Path>,
    profile: P12Profile,
) -> anyhow::Result<Outcome> {
    let (password, generated) = match password_file {
        Some(f) => (SecretString::from_file(f)?, false),
        None => (generate_password(), true),
    };
    let bytes = ctx
        .wallet
        .export_pkcs12(id, &ctx.access(), &password, profile)?;
    write_atomic(out, &bytes, FileMode::Private)?;
    if ctx.json {
        render::json(&json!({
            "out": out,
            "profile": profile,
            "algorithms": profile.describe(),
            "generated_password": generated.then(|| password.expose().to_string()),
        }))?;
    } else {
        outln!(
            "Wrote {} ({} profile: {}).",
            out.display(),
            profile.as_str(),
            profile.describe()
        );
        if generated {
            outln!("Password: {}", password.expose());
            outln!("Write it down now: certdesk does not keep it and cannot show it again.");
        }
    }
    Ok(Outcome::Success)
}

fn export_pem(
    ctx: &Ctx,
    id: &str,
    cert_out: &Path,
    key_out: Option<&Path>,
    password_file: Option<&Path>,
    insecure: bool,
) -> anyhow::Result<Outcome> {
    let chain = ctx.wallet.chain_pem(id)?;
    write_atomic(cert_out, chain.as_bytes(), FileMode::Public)?;
    let mut key_written = None;
    if let Some(key_out) = key_out {
        let how = match (password_file, insecure) {
            (Some(f), _) => KeyExport::Encrypted(SecretString::from_file(f)?),
            (None, true) => KeyExport::InsecureUnencrypted,
            (None, false) => bail!(
                "--key-out needs --password-file (or the explicit --insecure-unencrypted-key)"
            ),
        };
        let pem = ctx.wallet.export_key_pem(id, &ctx.access(), &how)?;
        write_atomic(key_out, pem.as_bytes(), FileMode::Private)?;
        key_written = Some((key_out, matches!(how, KeyExport::Encrypted(_))));
    }
    if ctx.json {
        render::json(&json!({
            "cert_out": cert_out,
            "key_out": key_written.map(|(p, _)| p),
            "key_encrypted": key_written.map(|(_, e)| e),
        }))?;
    } else {
        outln!("Wrote the certificate chain to {}", cert_out.display());
        match key_written {
            Some((p, true)) => outln!("Wrote the encrypted private key to {} (mode 0600)", p.display()),
            Some((p, false)) => outln!(
                "Wrote the UNENCRYPTED private key to {} (mode 0600). Anyone with this file can act as you: delete it when done.",
                p.display()
            ),
            None => {}
        }
    }
    Ok(Outcome::Success)
}

fn inspect(ctx: &Ctx, args: InspectArgs) -> anyhow::Result<Outcome> {
    let bytes = read_file(&args.file)?;
    let password = args
        .password_file
        .as_deref()
        .map(SecretString::from_file)
        .transpose()?;
    let report = certdesk_core::inspect::inspect_bytes(
        &bytes,
        &display_name(&args.file),
        password.as_ref(),
    )?;
    if ctx.json {
        render::json(&report)?;
    } else {
        render::inspect(&report);
    }
    let unfit = match &report {
        certdesk_core::inspect::InspectReport::Certificates { certificates, .. }
        | certdesk_core::inspect::InspectReport::Pkcs12 { certificates, .. } => certificates
            .iter()
            .filter(|c| !c.info.is_ca)
            .any(|c| !c.fit_for_client_auth),
        _ => false,
    };
    Ok(if unfit {
        Outcome::CheckFailed
    } else {
        Outcome::Success
    })
}

#[derive(Debug, Args)]
pub(crate) struct ProbeArgs {
    /// The site, e.g. https://intranet.example.org/
    url: String,
    /// Present this identity from the wallet.
    #[arg(long, conflicts_with_all = ["p12", "cert"])]
    identity: Option<String>,
    /// Present the identity in this .p12/.pfx file (with --password-file).
    #[arg(long, requires = "password_file", conflicts_with = "cert")]
    p12: Option<PathBuf>,
    /// Present this certificate (PEM, with its chain) …
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// … and this PEM private key (encrypted ones need --password-file).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Password of the .p12 or of the encrypted key.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// CA certificate(s) to trust for the site's own certificate instead of the system's (a private server CA).
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Write the full report as JSON for a help desk (no key material, no passwords).
    #[arg(long, value_name = "FILE")]
    report_out: Option<PathBuf>,
    /// Seconds to wait for each of connect, handshake and answer.
    #[arg(long, default_value_t = certdesk_flows::limits::SITE_CHECK_TIMEOUT_SECS)]
    timeout: u64,
}

pub(crate) fn probe(ctx: &Ctx, args: ProbeArgs) -> anyhow::Result<Outcome> {
    use certdesk_core::probe::{ClientIdentity, Verdict};
    use certdesk_flows::site::{SiteCheckRequest, SiteIdentity};
    let password = args
        .password_file
        .as_deref()
        .map(SecretString::from_file)
        .transpose()?;
    let access = ctx.access();
    let identity = if let Some(id) = &args.identity {
        SiteIdentity::Wallet {
            id,
            access: &access,
        }
    } else if let Some(p12) = &args.p12 {
        let password = password.as_ref().context("--p12 needs --password-file")?;
        let contents =
            certdesk_core::pkcs12::import_pkcs12(&read_file(p12)?, password, &display_name(p12))?;
        SiteIdentity::Given(ClientIdentity {
            key: contents.key.into(),
            chain: contents.chain,
        })
    } else if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        let (certs, _, _) =
            certdesk_core::encoding::read_certificates(&read_file(cert)?, &display_name(cert))?;
        let key = certdesk_core::key::PrivateKey::from_pem(
            &read_file(key)?,
            password.as_ref(),
            &display_name(key),
        )?;
        let leaf = certs
            .iter()
            .find(|c| {
                certdesk_core::cert::public_key_of(c).is_ok_and(|k| k == key.public_key_der())
            })
            .cloned()
            .ok_or_else(|| certdesk_core::Error::CertDoesNotMatchKey {
                subject: certdesk_core::cert::parse_certificate(&certs[0])
                    .map(|i| i.subject)
                    .unwrap_or_default(),
                id: display_name(key_path(&args)),
            })?;
        let chain = certdesk_core::cert::build_chain(&leaf, &certs)?;
        SiteIdentity::Given(ClientIdentity {
            key: key.into(),
            chain,
        })
    } else {
        SiteIdentity::None
    };
    let checked = certdesk_flows::site::check_site_recorded(
        &ctx.wallet,
        SiteCheckRequest {
            url: &args.url,
            identity,
            server_ca_pem: args.ca_file.as_deref().map(read_file).transpose()?,
            timeout: std::time::Duration::from_secs(args.timeout.max(1)),
        },
    )?;
    if let Some((_, Err(e))) = &checked.recorded {
        // The check's answer stands; only keeping it failed.
        eprintln!("note: the site check was not recorded in the identity's history: {e}");
    }
    // Issue #13: the verdict, findings and remedies in the locale's language (LC_ALL,
    // LC_MESSAGES, LANG); --json keeps the codes and carries the same rendered text.
    let lang = certdesk_wording::Lang::from_env();
    let report = checked.report.localized(lang);
    if let Some(out) = &args.report_out {
        let json = serde_json::to_vec_pretty(&report)?;
        write_atomic(out, &json, FileMode::Public)?;
    }
    if ctx.json {
        render::json(&report)?;
    } else {
        render::probe_report(&report, lang);
        if let Some(out) = &args.report_out {
            outln!("Report for your help desk written to {}", out.display());
        }
    }
    Ok(if report.verdict == Verdict::Accepted {
        Outcome::Success
    } else {
        Outcome::CheckFailed
    })
}

fn key_path(args: &ProbeArgs) -> &Path {
    args.key.as_deref().unwrap_or(Path::new("the key file"))
}
