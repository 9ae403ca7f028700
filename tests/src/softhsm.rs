//! A SoftHSM2 token for one test: its own token folder and configuration in a temporary
//! directory (through `SOFTHSM2_CONF`), initialised with `softhsm2-util`, inspected with
//! OpenSC's `pkcs11-tool`, neither of which certdesk wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::cmd::{run_tool, ToolOutput};

/// Debian's SoftHSM2 module.
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// The user PIN of every test token.
pub const USER_PIN: &str = "123456";

/// One initialised token; its folder is deleted on drop.
#[derive(Debug)]
pub struct SoftHsm {
    dir: TempDir,
    /// The token's label.
    pub label: String,
}

impl SoftHsm {
    /// A new token called `label` with [`USER_PIN`], and `SOFTHSM2_CONF` set for this process
    /// (nextest runs each test in a process of its own), so the module opened in this process
    /// sees it.
    pub fn new(label: &str) -> SoftHsm {
        SoftHsm::with_config(label, "")
    }

    /// A token whose module refuses RSA-PSS, as many smart cards and older security keys do:
    /// SoftHSM2's own `slots.mechanisms` setting (softhsm2.conf(5)) takes the PSS mechanisms
    /// out of its mechanism list and refuses them. (SoftHSM 2.6.1 skips the first name after
    /// the `-`, so it is given twice; `pkcs11-tool -M` shows the result.)
    pub fn without_rsa_pss(label: &str) -> SoftHsm {
        SoftHsm::with_config(
            label,
            "slots.mechanisms = -CKM_RSA_PKCS_PSS,CKM_RSA_PKCS_PSS,CKM_SHA1_RSA_PKCS_PSS,CKM_SHA224_RSA_PKCS_PSS,CKM_SHA256_RSA_PKCS_PSS,CKM_SHA384_RSA_PKCS_PSS,CKM_SHA512_RSA_PKCS_PSS\n",
        )
    }

    /// [`SoftHsm::new`] with `extra` lines added to its `softhsm2.conf`.
    pub fn with_config(label: &str, extra: &str) -> SoftHsm {
        let dir = tempfile::Builder::new()
            .prefix("certdesk-softhsm-")
            .tempdir()
            .expect("a temp dir");
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).expect("token folder");
        std::fs::write(
            dir.path().join("softhsm2.conf"),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n{extra}",
                tokens.display()
            ),
        )
        .expect("softhsm2.conf");
        let hsm = SoftHsm {
            dir,
            label: label.to_string(),
        };
        // SAFETY-free in edition 2021; each test runs in its own process.
        std::env::set_var("SOFTHSM2_CONF", hsm.conf());
        hsm.tool(Command::new("softhsm2-util").args([
            "--init-token",
            "--free",
            "--label",
            label,
            "--pin",
            USER_PIN,
            "--so-pin",
            "12345678",
        ]))
        .unwrap_or_else(|e| panic!("softhsm2-util --init-token: {e}"));
        hsm
    }

    /// The configuration file (`SOFTHSM2_CONF`).
    pub fn conf(&self) -> PathBuf {
        self.dir.path().join("softhsm2.conf")
    }

    /// The module's path.
    pub fn module(&self) -> &'static Path {
        Path::new(SOFTHSM_MODULE)
    }

    /// Runs a tool with this token's configuration.
    pub fn tool(&self, cmd: &mut Command) -> Result<ToolOutput, String> {
        run_tool(cmd.env("SOFTHSM2_CONF", self.conf()))
    }

    /// The token's folder (deleting it is what pulling the token out looks like to SoftHSM).
    pub fn token_dir(&self) -> PathBuf {
        self.dir.path().join("tokens")
    }

    /// `pkcs11-tool --module … --login --pin … --list-objects` (OpenSC): every object with its
    /// attributes as OpenSC words them.
    pub fn pkcs11_tool_objects(&self) -> String {
        self.tool(Command::new("pkcs11-tool").args([
            "--module",
            SOFTHSM_MODULE,
            "--token-label",
            &self.label,
            "--login",
            "--pin",
            USER_PIN,
            "--list-objects",
        ]))
        .unwrap_or_else(|e| panic!("pkcs11-tool --list-objects: {e}"))
        .stdout_text()
    }
}
