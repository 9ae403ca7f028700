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

/// Makes a PKCS#12 key store with `keytool -genkeypair` (a self-signed certificate for
/// `CN=<cn>` with a `key_alg` key: `EC` or `RSA`), protecting key and certificates with the
/// Java algorithm name `protection` (e.g. `PBEWithHmacSHA1AndAES_256`, `PBEWithHmacSHA256AndAES_256`).
/// This is how Java programs and older Java-based CA portals hand out client certificates.
pub fn keytool_make_p12(
    path: &Path,
    password: &str,
    cn: &str,
    key_alg: &str,
    protection: &str,
) -> Result<(), String> {
    let pw = PasswordFile::new(password);
    let mut cmd = Command::new("keytool");
    cmd.args(["-J-Duser.language=en", "-J-Duser.country=US"])
        .arg(format!(
            "-J-Dkeystore.pkcs12.keyProtectionAlgorithm={protection}"
        ))
        .arg(format!(
            "-J-Dkeystore.pkcs12.certProtectionAlgorithm={protection}"
        ))
        .args(["-genkeypair", "-alias", "client", "-keyalg", key_alg])
        .args(["-dname", &format!("CN={cn}"), "-validity", "30"])
        .args(["-storetype", "PKCS12", "-keystore"])
        .arg(path)
        .arg("-storepass:file")
        .arg(pw.path());
    if key_alg == "EC" {
        cmd.args(["-groupname", "secp256r1"]);
    }
    run_tool(&mut cmd).map(|_| ())
}
