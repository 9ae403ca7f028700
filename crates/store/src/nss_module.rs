//! PKCS#11 modules registered in NSS databases (issue #15): a browser uses a key on a security
//! key, smart card or TPM through the token's module, which `modutil -add` registers in the
//! profile's database (`pkcs11.txt`). Nothing is copied: the certificate and key stay on the
//! token, and the browser asks for its PIN when a site wants the certificate.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Result;
use crate::nss::{db_spec, ensure_db, failure, has_db};
use crate::runner::run_tool;
use crate::target::StoreTarget;
use crate::{InstallOutcome, RemoveOutcome};

/// A PKCS#11 module registered in an NSS database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisteredModule {
    /// The name it is registered under.
    pub name: String,
    /// Its library.
    pub library: PathBuf,
}

/// The name certdesk registers `library` under: `certdesk: libsofthsm2.so`.
pub fn module_name(library: &Path) -> String {
    let file = library
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| library.display().to_string());
    format!("certdesk: {file}")
}

/// `modutil -add NAME -libfile LIB -dbdir sql:DIR -force` (`-force`: no "close your browser"
/// prompt; stdin is closed anyway).
pub fn args_add_module(dir: &Path, name: &str, library: &Path) -> Vec<OsString> {
    vec![
        "-add".into(),
        name.into(),
        "-libfile".into(),
        library.as_os_str().to_os_string(),
        "-dbdir".into(),
        db_spec(dir),
        "-force".into(),
    ]
}

/// `modutil -delete NAME -dbdir sql:DIR -force`.
pub fn args_delete_module(dir: &Path, name: &str) -> Vec<OsString> {
    vec![
        "-delete".into(),
        name.into(),
        "-dbdir".into(),
        db_spec(dir),
        "-force".into(),
    ]
}

/// `modutil -list -dbdir sql:DIR`.
pub fn args_list_modules(dir: &Path) -> Vec<OsString> {
    vec!["-list".into(), "-dbdir".into(), db_spec(dir)]
}

/// The modules of `modutil -list`: each entry is `  N. NAME` followed by, for modules other
/// than NSS's own, a `library name: PATH` line.
fn parse_module_list(text: &str) -> Vec<RegisteredModule> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        let numbered = trimmed
            .split_once(". ")
            .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if let Some((_, name)) = numbered {
            current = Some(name.trim().to_string());
        } else if let Some(path) = trimmed.strip_prefix("library name:") {
            if let Some(name) = current.take() {
                out.push(RegisteredModule {
                    name,
                    library: PathBuf::from(path.trim()),
                });
            }
        }
    }
    out
}

/// The PKCS#11 modules registered in the database in `dir` (none when it has no database).
pub fn registered_modules(dir: &Path) -> Result<Vec<RegisteredModule>> {
    if !has_db(dir) {
        return Ok(Vec::new());
    }
    let run = run_tool("modutil", &args_list_modules(dir), dir)?;
    if !run.success {
        return Err(failure("modutil", dir, &run));
    }
    Ok(parse_module_list(&run.stdout))
}

/// Registers `library` in the database in `dir` (created for Chromium's when missing), once.
pub(crate) fn register(target: &StoreTarget, dir: &Path, library: &Path) -> Result<InstallOutcome> {
    let created = ensure_db(target, dir)?;
    let note = "the key stays on the token: the browser asks for the token's PIN when a site wants the certificate".to_string();
    if let Some(found) = registered_modules(dir)?
        .into_iter()
        .find(|m| m.library == library)
    {
        return Ok(InstallOutcome::AlreadyInstalled {
            store: target.clone(),
            nickname: found.name,
            warnings: vec![note],
        });
    }
    let name = module_name(library);
    let run = run_tool("modutil", &args_add_module(dir, &name, library), dir)?;
    if !run.success {
        return Err(failure("modutil", dir, &run));
    }
    let mut warnings = vec![note];
    if created {
        warnings.push(format!("created the NSS database in {}", dir.display()));
    }
    Ok(InstallOutcome::Installed {
        store: target.clone(),
        nickname: name,
        warnings,
    })
}

/// Removes the registration of `library` from the database in `dir`, when there is one.
pub(crate) fn unregister(
    target: &StoreTarget,
    dir: &Path,
    library: &Path,
) -> Result<RemoveOutcome> {
    let found: Vec<RegisteredModule> = registered_modules(dir)?
        .into_iter()
        .filter(|m| m.library == library)
        .collect();
    if found.is_empty() {
        return Ok(RemoveOutcome::NotInstalled {
            store: target.clone(),
        });
    }
    for module in &found {
        let run = run_tool("modutil", &args_delete_module(dir, &module.name), dir)?;
        if !run.success {
            return Err(failure("modutil", dir, &run));
        }
    }
    Ok(RemoveOutcome::Removed {
        store: target.clone(),
        nicknames: found.into_iter().map(|m| m.name).collect(),
        removed_ca: Vec::new(),
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modutil_lists_modules_with_their_libraries() {
        // `modutil -list` of NSS 3.87 with SoftHSM2 registered (trimmed).
        let text = "\nListing of PKCS #11 Modules\n-----\n  1. NSS Internal PKCS #11 Module\n\t   uri: pkcs11:library-manufacturer=Mozilla%20Foundation\n\t slots: 2 slots attached\n\n\t slot: NSS Internal Cryptographic Services\n\ttoken: NSS Generic Crypto Services\n\n  2. certdesk: libsofthsm2.so\n\tlibrary name: /usr/lib/softhsm/libsofthsm2.so\n\t   uri: pkcs11:library-manufacturer=SoftHSM\n\t slot: SoftHSM slot ID 0x1\n\ttoken: 2. not a module\n";
        assert_eq!(
            parse_module_list(text),
            vec![RegisteredModule {
                name: "certdesk: libsofthsm2.so".into(),
                library: PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"),
            }]
        );
        assert_eq!(
            module_name(Path::new("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so")),
            "certdesk: opensc-pkcs11.so"
        );
    }
}
