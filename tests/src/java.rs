//! Java `keytool`, a third PKCS#12 implementation (JDK 17).

use std::path::Path;
use std::process::Command;

use crate::cmd::{run_tool, PasswordFile};

/// `keytool -list -v -storetype PKCS12 -keystore PATH -storepass:file PWFILE`.
///
/// Returns the verbose listing (`Entry type: PrivateKeyEntry`, `Certificate chain length: N`,
/// owners and issuers). Output is forced to English so tests can match on it.
pub fn keytool_list_p12(path: &Path, password: &str) -> Result<String, String> {
    let pw = PasswordFile::new(password);
    run_tool(
        Command::new("keytool")
            .args(["-J-Duser.language=en", "-J-Duser.country=US"])
            .args(["-list", "-v", "-storetype", "PKCS12", "-keystore"])
            .arg(path)
            .arg("-storepass:file")
            .arg(pw.path()),
    )
    .map(|out| out.text())
}
