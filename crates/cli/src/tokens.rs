//! `certdesk tokens`: the PKCS#11 modules on this computer, their tokens and what each token
//! can do for a client certificate (RSA-PSS above all: TLS 1.3 needs it for an RSA key).

use std::path::PathBuf;

use certdesk_core::token::{known_modules, Module, PinState, TokenSummary};
use clap::Args;
use serde_json::json;

use crate::Outcome;

#[derive(Debug, Args)]
pub(crate) struct TokensArgs {
    /// A PKCS#11 module (.so) to look at instead of the ones found on this computer.
    #[arg(long, value_name = "PATH")]
    module: Option<PathBuf>,
}

fn pin_words(pin: PinState) -> &'static str {
    match pin {
        PinState::Ok => "set",
        PinState::CountLow => "set; a wrong PIN was given since the last right one",
        PinState::FinalTry => "set; one more wrong PIN locks it",
        PinState::Locked => "LOCKED (needs the PUK or an administrator)",
        PinState::NotInitialized => "not set yet",
    }
}

fn yes_no(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}

pub(crate) fn tokens(json_out: bool, args: TokensArgs) -> anyhow::Result<Outcome> {
    // A module given by path must work; among the found ones, a broken one is reported and
    // the others still listed.
    let explicit = args.module.is_some();
    let modules = match args.module {
        Some(path) => vec![path],
        None => known_modules(),
    };
    let mut listed: Vec<(PathBuf, Result<Vec<TokenSummary>, String>)> = Vec::new();
    for path in modules {
        let result = Module::open(&path).and_then(|m| m.tokens());
        match result {
            Err(e) if explicit => return Err(e.into()),
            other => listed.push((path, other.map_err(|e| e.to_string()))),
        }
    }
    if json_out {
        let modules: Vec<_> = listed
            .iter()
            .map(|(path, result)| match result {
                Ok(tokens) => json!({ "module": path, "tokens": tokens }),
                Err(e) => json!({ "module": path, "error": e }),
            })
            .collect();
        crate::render::json(&json!({ "modules": modules }))?;
        return Ok(Outcome::Success);
    }
    if listed.is_empty() {
        outln!("No PKCS#11 module found on this computer (looked in p11-kit's registrations and the usual paths of OpenSC, ykcs11, tpm2-pkcs11 and SoftHSM).");
        outln!("Give one with --module PATH.");
        return Ok(Outcome::Success);
    }
    for (path, result) in &listed {
        outln!("{}", path.display());
        match result {
            Err(e) => outln!("  cannot be used: {e}"),
            Ok(tokens) if tokens.is_empty() => outln!("  no token present"),
            Ok(tokens) => {
                for t in tokens.iter().filter(|t| !t.initialized) {
                    outln!("  slot {}: an empty token, not set up yet", t.slot);
                }
                for t in tokens.iter().filter(|t| t.initialized) {
                    outln!(
                        "  {} (serial {}, {} {})",
                        t.label,
                        t.serial,
                        t.manufacturer,
                        t.model
                    );
                    let a = &t.abilities;
                    if !(a.ecdsa || a.rsa_pkcs1 || a.rsa_pss || a.ec_keygen || a.rsa_keygen) {
                        outln!("    holds no keys (it can sign nothing)");
                        continue;
                    }
                    outln!("    PIN:                 {}", pin_words(t.pin));
                    outln!(
                        "    makes keys:          RSA {}, elliptic curve {}",
                        yes_no(t.abilities.rsa_keygen),
                        yes_no(t.abilities.ec_keygen)
                    );
                    outln!(
                        "    signs:               ECDSA {}, RSA PKCS#1 {}, RSA-PSS {}",
                        yes_no(t.abilities.ecdsa),
                        yes_no(t.abilities.rsa_pkcs1),
                        yes_no(t.abilities.rsa_pss)
                    );
                    if t.abilities.rsa_pkcs1 && !t.abilities.rsa_pss {
                        outln!("    note:                without RSA-PSS an RSA key on this token cannot log in to TLS 1.3 sites; use an elliptic-curve key");
                    }
                }
            }
        }
    }
    Ok(Outcome::Success)
}
