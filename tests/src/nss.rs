//! NSS databases (what Chromium and Firefox read on Linux) driven by `certutil` and `pk12util`
//! from libnss3-tools.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{run_tool, PasswordFile};

/// An NSS `sql:` database (cert9.db/key4.db) in a directory the test owns.
///
/// Passwords reach the tools by file (`-f`, `-w`, `-k`), never on the command line. The
/// directory is not deleted by this type; put it inside a `TempDir`.
#[derive(Debug)]
pub struct NssDb {
    dir: PathBuf,
    password: Option<PasswordFile>,
}

impl NssDb {
    /// `certutil -N -d sql:DIR --empty-password`, creating `dir` first if needed.
    pub fn create(dir: impl AsRef<Path>) -> Result<NssDb, String> {
        let db = NssDb::open(dir, None);
        db.mkdir()?;
        run_tool(
            Command::new("certutil")
                .args(["-N", "-d", &db.spec()])
                .arg("--empty-password"),
        )?;
        Ok(db)
    }

    /// `certutil -N -d sql:DIR -f PWFILE`: a database whose key store is protected by `password`.
    pub fn create_with_password(dir: impl AsRef<Path>, password: &str) -> Result<NssDb, String> {
        let db = NssDb::open(dir, Some(password));
        db.mkdir()?;
        let mut cmd = Command::new("certutil");
        cmd.args(["-N", "-d", &db.spec()]);
        db.push_db_password(&mut cmd, "-f");
        run_tool(&mut cmd)?;
        Ok(db)
    }

    /// An existing database (for example `$HOME/.pki/nssdb` under a temporary HOME after
    /// certdesk installed into it). `password` is the database password, `None` when empty.
    pub fn open(dir: impl AsRef<Path>, password: Option<&str>) -> NssDb {
        NssDb {
            dir: dir.as_ref().to_path_buf(),
            password: password.map(PasswordFile::new),
        }
    }

    /// The database directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `sql:DIR`, the form every NSS tool takes after `-d`.
    pub fn spec(&self) -> String {
        format!("sql:{}", self.dir.display())
    }

    /// `pk12util -i P12 -d sql:DIR -w PWFILE [-k DBPWFILE]`: imports key and certificates.
    pub fn import_p12(&self, p12_path: &Path, password: &str) -> Result<(), String> {
        let p12_pw = PasswordFile::new(password);
        let mut cmd = Command::new("pk12util");
        cmd.arg("-i").arg(p12_path).args(["-d", &self.spec()]);
        push_p12_password(&mut cmd, password, &p12_pw);
        self.push_db_password(&mut cmd, "-k");
        run_tool(&mut cmd).map(|_| ())
    }

    /// `pk12util -l P12 -w PWFILE`: what NSS sees inside a PKCS#12 (bags, algorithms,
    /// friendly names) without importing it.
    pub fn list_p12(&self, p12_path: &Path, password: &str) -> Result<String, String> {
        let p12_pw = PasswordFile::new(password);
        let mut cmd = Command::new("pk12util");
        cmd.arg("-l").arg(p12_path).args(["-d", &self.spec()]);
        push_p12_password(&mut cmd, password, &p12_pw);
        self.push_db_password(&mut cmd, "-k");
        run_tool(&mut cmd).map(|out| out.text())
    }

    /// `certutil -L -d sql:DIR`: nicknames and trust flags of every certificate.
    pub fn list_certs(&self) -> Result<String, String> {
        run_tool(Command::new("certutil").args(["-L", "-d", &self.spec()])).map(|out| out.text())
    }

    /// `certutil -L -d sql:DIR -n NICKNAME -a`: one certificate as PEM.
    pub fn cert_pem(&self, nickname: &str) -> Result<String, String> {
        run_tool(Command::new("certutil").args(["-L", "-d", &self.spec(), "-n", nickname, "-a"]))
            .map(|out| out.stdout_text())
    }

    /// `certutil -K -d sql:DIR [-f PWFILE]`: the private keys (and the certificate each belongs to).
    pub fn list_keys(&self) -> Result<String, String> {
        let mut cmd = Command::new("certutil");
        cmd.args(["-K", "-d", &self.spec()]);
        self.push_db_password(&mut cmd, "-f");
        run_tool(&mut cmd).map(|out| out.text())
    }

    fn mkdir(&self) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))
    }

    fn push_db_password(&self, cmd: &mut Command, flag: &str) {
        if let Some(pw) = &self.password {
            cmd.arg(flag).arg(pw.path());
        }
    }
}

fn push_p12_password(cmd: &mut Command, password: &str, file: &PasswordFile) {
    if password.is_empty() {
        // NSS reads an empty password file as "no password given" and would prompt.
        cmd.args(["-W", ""]);
    } else {
        cmd.arg("-w").arg(file.path());
    }
}
