//! `certdesk install`, `uninstall`, `stores` and `trust-ca`: the command-line face of
//! certdesk-store. The PKCS#12 handed to a store is built in memory for that store's profile
//! under a random one-time password; certdesk-store writes it to a private temporary directory
//! for the import and deletes it afterwards.

use std::path::{Path, PathBuf};

use anyhow::bail;
use certdesk_core::secret::SecretString;
use certdesk_core::wallet::{IdentityStatus, KeyAccess, Wallet};
use certdesk_store::{
    Handover, InstallOutcome, RemoveOutcome, StoreTarget, TargetSpec, TrustOutcome,
};
use clap::Args;
use serde_json::json;

use crate::{render, Outcome};

/// `certdesk install`.
#[derive(Debug, Args)]
pub(crate) struct InstallArgs {
    /// Identity id (or unique prefix, or label).
    id: String,
    /// Where: chromium, firefox, firefox:PROFILE, nss:DIR, keychain, windows (CurrentUser\My, "Personal") or all (repeatable).
    #[arg(long, required = true, value_name = "STORE", value_parser = parse_target)]
    to: Vec<TargetSpec>,
    /// File with the primary password of an NSS database that has one (Firefox "primary password").
    #[arg(long, value_name = "FILE")]
    nss_password_file: Option<PathBuf>,
}

/// `certdesk uninstall`.
#[derive(Debug, Args)]
pub(crate) struct UninstallArgs {
    /// Identity id (or unique prefix, or label).
    id: String,
    /// Where from: chromium, firefox, firefox:PROFILE, nss:DIR, keychain, windows (CurrentUser\My, "Personal") or all (repeatable).
    #[arg(long, required = true, value_name = "STORE", value_parser = parse_target)]
    from: Vec<TargetSpec>,
    /// File with the primary password of an NSS database that has one.
    #[arg(long, value_name = "FILE")]
    nss_password_file: Option<PathBuf>,
}

/// `certdesk trust-ca`.
#[derive(Debug, Args)]
pub(crate) struct TrustCaArgs {
    /// The server CA's certificate (PEM or DER), e.g. your organisation's root for intranet sites.
    file: PathBuf,
    /// Which NSS stores: chromium, firefox, firefox:PROFILE, nss:DIR or all (repeatable).
    #[arg(long, required = true, value_name = "STORE", value_parser = parse_target)]
    to: Vec<TargetSpec>,
    /// File with the primary password of an NSS database that has one.
    #[arg(long, value_name = "FILE")]
    nss_password_file: Option<PathBuf>,
    /// Withdraw the trust instead (the certificate is deleted when nothing else keeps it).
    #[arg(long)]
    remove: bool,
}

fn parse_target(s: &str) -> Result<TargetSpec, String> {
    TargetSpec::parse(s).map_err(|e| e.to_string())
}

/// The home whose browser stores we look at (one rule for both front ends, issue #13).
pub(crate) fn user_home() -> anyhow::Result<PathBuf> {
    Ok(certdesk_flows::home::user_home()?)
}

fn resolve(specs: &[TargetSpec]) -> anyhow::Result<Vec<StoreTarget>> {
    let home = user_home()?;
    let mut out: Vec<StoreTarget> = Vec::new();
    for spec in specs {
        for t in certdesk_store::resolve_targets(spec, &home)? {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    Ok(out)
}

fn nss_password(file: Option<&Path>) -> anyhow::Result<Option<SecretString>> {
    Ok(file.map(SecretString::from_file).transpose()?)
}

/// `certdesk install ID --to …`.
pub(crate) fn install(
    wallet: &Wallet,
    access: &KeyAccess,
    json_out: bool,
    args: InstallArgs,
) -> anyhow::Result<Outcome> {
    let identity = wallet.get(&args.id)?;
    let chain = identity.chain_der()?;
    let cert_der = &chain[0];
    let sha256 = certdesk_store::sha256_fingerprint(cert_der);
    let targets = resolve(&args.to)?;
    let db_password = nss_password(args.nss_password_file.as_deref())?;
    let mut handover = Handover::new(wallet, access);
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for target in &targets {
        let outcome = match handover.install(&identity, target, db_password.as_ref()) {
            Ok(outcome) => outcome,
            // A key that cannot be unlocked fails every store alike: say it once.
            Err(certdesk_store::Error::Core(e)) => return Err(e.into()),
            // One store refusing (a primary password, a read-only profile) must not keep the
            // identity out of the others: go on, report it at the end.
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        if !json_out {
            print_install(&identity.label, &outcome);
        }
        results.push(outcome);
    }
    if !failures.is_empty() {
        return Err(report_failures(failures, json_out));
    }
    if json_out {
        render::json(&json!({
            "id": identity.id,
            "label": identity.label,
            "sha256": sha256,
            "results": results,
        }))?;
    }
    Ok(Outcome::Success)
}

fn print_install(label: &str, outcome: &InstallOutcome) {
    let warnings = match outcome {
        InstallOutcome::Installed {
            store,
            nickname,
            warnings,
        } => {
            outln!("Installed {label} in {store} as \"{nickname}\".");
            warnings
        }
        InstallOutcome::AlreadyInstalled {
            store,
            nickname,
            warnings,
        } => {
            outln!("{label} is already installed in {store} as \"{nickname}\"; nothing to do.");
            warnings
        }
    };
    for w in warnings {
        outln!("  note: {w}");
    }
}

/// `certdesk uninstall ID --from …`.
pub(crate) fn uninstall(
    wallet: &Wallet,
    json_out: bool,
    args: UninstallArgs,
) -> anyhow::Result<Outcome> {
    let identity = wallet.get(&args.id)?;
    let chain = identity.chain_der()?;
    let targets = resolve(&args.from)?;
    let db_password = nss_password(args.nss_password_file.as_deref())?;
    let mut results = Vec::new();
    let mut failures = Vec::new();
    if let Some(token) = identity.protection.token() {
        return uninstall_token_module(wallet, json_out, &identity, &token.module, &targets);
    }
    for target in &targets {
        let outcome =
            match certdesk_store::uninstall(target, &chain[0], &chain[1..], db_password.as_ref()) {
                Ok(outcome) => outcome,
                Err(e) => {
                    failures.push(e);
                    continue;
                }
            };
        if !json_out {
            match &outcome {
                RemoveOutcome::Removed {
                    store,
                    removed_ca,
                    warnings,
                    ..
                } => {
                    // Windows keeps the key container PFXImportCertStore made (its note says
                    // so): only the certificate is claimed there.
                    let what = match store {
                        StoreTarget::Windows => "certificate",
                        _ => "certificate and private key",
                    };
                    outln!("Removed {} ({what}) from {store}.", identity.label);
                    if !removed_ca.is_empty() {
                        outln!(
                            "  also removed the CA certificates that came with it: {}",
                            removed_ca.join(", ")
                        );
                    }
                    for w in warnings {
                        outln!("  note: {w}");
                    }
                }
                RemoveOutcome::NotInstalled { store } => {
                    outln!(
                        "{} is not installed in {store}; nothing to do.",
                        identity.label
                    )
                }
            }
        }
        results.push(outcome);
    }
    if !failures.is_empty() {
        return Err(report_failures(failures, json_out));
    }
    if json_out {
        render::json(&json!({ "id": identity.id, "label": identity.label, "results": results }))?;
    }
    Ok(Outcome::Success)
}

/// `certdesk stores`: the stores found and, per issued identity, where it is installed (read
/// live from the stores).
/// `uninstall` of an identity whose key is on a token: the module's registration goes when no
/// other identity in the wallet needs it (issue #15).
fn uninstall_token_module(
    wallet: &Wallet,
    json_out: bool,
    identity: &certdesk_core::wallet::Identity,
    library: &Path,
    targets: &[StoreTarget],
) -> anyhow::Result<Outcome> {
    let needed = certdesk_flows::token::module_needed_by_another(wallet, &identity.id, library)?;
    let mut results = Vec::new();
    for target in targets {
        if needed {
            if !json_out {
                outln!(
                    "Kept the token module {} in {target}: another identity in the wallet uses it.",
                    library.display()
                );
            }
            continue;
        }
        let outcome = certdesk_store::unregister_token_module(target, library)?;
        if !json_out {
            match &outcome {
                RemoveOutcome::Removed { store, .. } => outln!(
                    "Removed the token module {} from {store}; the key and certificate stay on the token.",
                    library.display()
                ),
                RemoveOutcome::NotInstalled { store } => outln!(
                    "The token module {} is not registered in {store}; nothing to do.",
                    library.display()
                ),
            }
        }
        results.push(outcome);
    }
    if json_out {
        render::json(&json!({
            "id": identity.id,
            "label": identity.label,
            "module": library,
            "kept_for_other_identities": needed,
            "results": results,
        }))?;
    }
    Ok(Outcome::Success)
}

pub(crate) fn stores(wallet: &Wallet, json_out: bool) -> anyhow::Result<Outcome> {
    let home = user_home()?;
    let read = certdesk_flows::stores::read_stores(&home)?;
    // PKCS#11 modules registered in each store (tokens the browser uses directly).
    let modules: Vec<Vec<certdesk_store::RegisteredModule>> = read
        .iter()
        .map(|c| {
            if c.store.exists {
                certdesk_store::token_modules(&c.store.target).unwrap_or_default()
            } else {
                Vec::new()
            }
        })
        .collect();
    let mut identities = Vec::new();
    for identity in wallet.identities()? {
        if identity.status != IdentityStatus::Issued {
            continue;
        }
        let Some(der) = identity.certificate_der()? else {
            continue;
        };
        let sha256 = certdesk_store::sha256_fingerprint(&der);
        let installed_in: Vec<_> = match identity.protection.token() {
            // A token identity is "installed" where its module is registered (issue #15).
            Some(token) => read
                .iter()
                .zip(&modules)
                .filter_map(|(c, m)| {
                    m.iter()
                        .find(|m| m.library == token.module)
                        .map(|m| json!({ "store": c.store.target, "name": c.store.target.to_string(), "nickname": m.name }))
                })
                .collect(),
            // One lookup for both front ends (issue #13: letter case no longer matters).
            None => certdesk_flows::stores::locations_of(&read, &sha256)
                .into_iter()
                .map(|l| json!({ "store": l.store, "name": l.store.to_string(), "nickname": l.nickname }))
                .collect(),
        };
        identities.push(json!({
            "id": identity.id,
            "label": identity.label,
            "sha256": sha256,
            "installed_in": installed_in,
        }));
    }
    if json_out {
        let stores: Vec<_> = read
            .iter()
            .zip(&modules)
            .map(|(c, m)| {
                let d = &c.store;
                json!({
                    "token_modules": m,
                    "store": d.target,
                    "name": d.target.to_string(),
                    "exists": d.exists,
                    "is_default": d.is_default,
                    "in_use": d.in_use,
                    "error": c.certificates.as_ref().err().map(ToString::to_string),
                })
            })
            .collect();
        render::json(&json!({ "stores": stores, "identities": identities }))?;
        return Ok(Outcome::Success);
    }
    if read.is_empty() {
        outln!(
            "No browser certificate stores found under {}.",
            home.display()
        );
        outln!("  `certdesk install ID --to chromium` creates Chromium's (~/.pki/nssdb).");
    } else {
        outln!("Stores on this computer:");
        for (c, m) in read.iter().zip(&modules) {
            let d = &c.store;
            let mut notes = Vec::new();
            for module in m {
                notes.push(format!(
                    "token module \"{}\" ({})",
                    module.name,
                    module.library.display()
                ));
            }
            if d.is_default {
                notes.push("default".to_string());
            }
            if d.in_use {
                notes.push("Firefox is running".to_string());
            }
            if !d.exists {
                notes.push("no database yet; install creates it".to_string());
            }
            if let Err(e) = &c.certificates {
                notes.push(format!("cannot read it: {e}"));
            }
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            };
            outln!("  {}{notes}", d.target);
        }
    }
    if identities.is_empty() {
        return Ok(Outcome::Success);
    }
    outln!("Identities:");
    for i in &identities {
        let places: Vec<&str> = i["installed_in"]
            .as_array()
            .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        let label = i["label"].as_str().unwrap_or_default();
        let id = i["id"].as_str().unwrap_or_default();
        if places.is_empty() {
            outln!("  {label} ({id}): not installed");
        } else {
            outln!("  {label} ({id}): installed in {}", places.join(", "));
        }
    }
    Ok(Outcome::Success)
}

/// `certdesk trust-ca FILE --to …`: explicit, shows the CA's name and fingerprint.
pub(crate) fn trust_ca(json_out: bool, args: TrustCaArgs) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(&args.file).map_err(|source| certdesk_core::Error::Io {
        op: "read",
        path: args.file.clone(),
        source,
    })?;
    let name = args.file.display().to_string();
    let (certs, _, _) = certdesk_core::encoding::read_certificates(&bytes, &name)?;
    if certs.len() != 1 {
        bail!(
            "{name} holds {} certificates; give a file with only the server CA's certificate",
            certs.len()
        );
    }
    let targets = resolve(&args.to)?;
    if let Some(t) = targets.iter().find(|t| t.nss_db().is_none()) {
        return Err(certdesk_store::Error::NotVerified {
            what: format!("trusting a server CA in {t}"),
        }
        .into());
    }
    let db_password = nss_password(args.nss_password_file.as_deref())?;
    if args.remove {
        return untrust_ca(&certs[0], &targets, db_password.as_ref(), json_out);
    }
    let mut results: Vec<TrustOutcome> = Vec::new();
    for target in &targets {
        let outcome = certdesk_store::trust_server_ca(target, &certs[0], db_password.as_ref())?;
        if !json_out {
            if outcome.already_trusted {
                outln!(
                    "\"{}\" was already trusted for websites in {}.",
                    outcome.subject,
                    outcome.store
                );
            } else {
                outln!(
                    "Trusted \"{}\" to identify websites in {} (as \"{}\").",
                    outcome.subject,
                    outcome.store,
                    outcome.nickname
                );
            }
            outln!("  SHA-256: {}", outcome.sha256);
        }
        results.push(outcome);
    }
    if json_out {
        render::json(&json!({ "results": results }))?;
    }
    Ok(Outcome::Success)
}

/// `certdesk trust-ca FILE --to … --remove`.
fn untrust_ca(
    ca_der: &[u8],
    targets: &[StoreTarget],
    db_password: Option<&SecretString>,
    json_out: bool,
) -> anyhow::Result<Outcome> {
    let mut results = Vec::new();
    for target in targets {
        let outcome = certdesk_store::untrust_server_ca(target, ca_der, db_password)?;
        if !json_out {
            if outcome.was_trusted {
                outln!(
                    "\"{}\" is no longer trusted to identify websites in {}{}.",
                    outcome.subject,
                    outcome.store,
                    if outcome.deleted {
                        " (its certificate was removed)"
                    } else {
                        ""
                    }
                );
            } else {
                outln!(
                    "\"{}\" was not trusted for websites in {}; nothing to do.",
                    outcome.subject,
                    outcome.store
                );
            }
            outln!("  SHA-256: {}", outcome.sha256);
        }
        results.push(outcome);
    }
    if json_out {
        render::json(&json!({ "results": results }))?;
    }
    Ok(Outcome::Success)
}

/// After trying every store: the stores that failed, all but the last printed here (text mode;
/// the stores that worked were already reported), the last one returned for `main` to print
/// with its hint and exit code 2. With `--json` the error object is the last failure's; `certdesk
/// stores --json` shows where the identity is now.
fn report_failures(mut failures: Vec<certdesk_store::Error>, json_out: bool) -> anyhow::Error {
    let last = failures.pop();
    if !json_out {
        for e in failures {
            render_store_error(&anyhow::Error::from(e), false);
        }
    }
    match last {
        Some(e) => e.into(),
        None => anyhow::anyhow!("no store failed"),
    }
}

/// Prints a certdesk-store error with its hint (text on stderr, or the JSON error shape on
/// stdout), as `render::error` does for core errors. Returns false when `err` is not one.
pub(crate) fn render_store_error(err: &anyhow::Error, as_json: bool) -> bool {
    let store = err
        .downcast_ref::<certdesk_store::Error>()
        .or_else(|| match err.downcast_ref::<certdesk_flows::Error>() {
            Some(certdesk_flows::Error::Store(store)) => Some(store),
            _ => None,
        });
    let Some(store) = store else {
        return false;
    };
    let hint = store.hint();
    if as_json {
        let body = json!({
            "error": { "kind": store.kind_str(), "message": format!("{err:#}"), "hint": hint }
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
    } else {
        eprintln!("error: {err:#}");
        if let Some(h) = hint {
            eprintln!("hint: {h}");
        }
    }
    true
}
