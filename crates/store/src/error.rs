//! The error type of certdesk-store: one variant per situation a person can act on, each with
//! its own message (lowercase, names the store) and [`Error::hint`].

use std::path::PathBuf;

/// Result alias used across certdesk-store.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure certdesk-store reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `--to`/`--from` named no store certdesk knows.
    #[error("unknown store {given:?}: expected chromium, firefox[:PROFILE], nss:DIR, keychain, windows or all")]
    UnknownTarget {
        /// What was given.
        given: String,
    },
    /// The store exists only on another operating system.
    #[error("{target} is only available on {needs}; this computer runs {this}")]
    WrongPlatform {
        /// The store (`the macOS Keychain`).
        target: String,
        /// The operating system it needs.
        needs: &'static str,
        /// `std::env::consts::OS`.
        this: &'static str,
    },
    /// The code for this store exists but was never run on its platform.
    #[error("{what} is not verified on this platform yet")]
    NotVerified {
        /// The operation (`removing an identity from the macOS Keychain`).
        what: String,
    },
    /// `nss:DIR` names a directory without an NSS database.
    #[error("there is no NSS database in {}", dir.display())]
    NssDbMissing {
        /// The directory given.
        dir: PathBuf,
    },
    /// The NSS database's files cannot be written (read-only file system or permissions).
    #[error("the NSS database in {} is read-only", dir.display())]
    NssDbReadOnly {
        /// The database directory.
        dir: PathBuf,
    },
    /// The database is protected by a primary password and none was given.
    #[error("the NSS database in {} is protected by a primary password", dir.display())]
    NssPasswordRequired {
        /// The database directory.
        dir: PathBuf,
    },
    /// The password given for the database's primary password is not it.
    #[error("wrong primary password for the NSS database in {}", dir.display())]
    WrongNssPassword {
        /// The database directory.
        dir: PathBuf,
    },
    /// `certutil`/`pk12util` are not installed.
    #[error("{tool} (NSS tools) is not installed")]
    NssToolsMissing {
        /// The missing program.
        tool: &'static str,
    },
    /// An NSS tool failed for a reason without a variant of its own.
    #[error("{tool} failed on the NSS database in {}: {detail}", dir.display())]
    NssTool {
        /// The program.
        tool: &'static str,
        /// The database directory.
        dir: PathBuf,
        /// The tool's own words (its last stderr lines).
        detail: String,
    },
    /// A tool did not finish in time (it would otherwise hang on a prompt or a lock).
    #[error("{tool} did not finish within {secs} s on {}", dir.display())]
    Timeout {
        /// The program.
        tool: &'static str,
        /// The database directory.
        dir: PathBuf,
        /// The limit.
        secs: u64,
    },
    /// No Firefox profile has this name or directory.
    #[error("no Firefox profile {wanted:?} (found: {known})")]
    FirefoxProfileNotFound {
        /// The name asked for.
        wanted: String,
        /// The profiles found, comma separated, or "none".
        known: String,
    },
    /// `profiles.ini` cannot be read as one.
    #[error("cannot read the Firefox profile list {}: {detail}", path.display())]
    BadProfilesIni {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Trust was asked for a certificate that is not a CA (and not self-signed).
    #[error("{subject} is a site certificate issued by {issuer}, not a certificate authority")]
    NotACertificateAuthority {
        /// The certificate's subject.
        subject: String,
        /// Its issuer.
        issuer: String,
    },
    /// The macOS Keychain refused an operation.
    #[error("the macOS Keychain failed to {op}: {detail}")]
    Keychain {
        /// What was asked.
        op: &'static str,
        /// The system's words.
        detail: String,
    },
    /// The Windows certificate store refused an operation.
    #[error("the Windows certificate store failed to {op}: {detail}")]
    WindowsStore {
        /// What was asked.
        op: &'static str,
        /// The system's words.
        detail: String,
    },
    /// A certificate could not be read (from a file or from a store).
    #[error(transparent)]
    Core(#[from] certdesk_core::Error),
    /// A filesystem operation failed.
    #[error("could not {op} {}", path.display())]
    Io {
        /// The operation.
        op: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A stable snake_case name for JSON output and front ends.
    pub fn kind_str(&self) -> &'static str {
        match self {
            Error::UnknownTarget { .. } => "invalid_input",
            Error::WrongPlatform { .. } => "wrong_platform",
            Error::NotVerified { .. } => "not_verified",
            Error::NssDbMissing { .. } => "store_missing",
            Error::NssDbReadOnly { .. } => "store_read_only",
            Error::NssPasswordRequired { .. } => "store_password_required",
            Error::WrongNssPassword { .. } => "wrong_password",
            Error::NssToolsMissing { .. } => "tool_missing",
            Error::NssTool { .. } | Error::Keychain { .. } | Error::WindowsStore { .. } => {
                "store_failed"
            }
            Error::Timeout { .. } => "timeout",
            Error::FirefoxProfileNotFound { .. } => "not_found",
            Error::BadProfilesIni { .. } => "bad_file",
            Error::NotACertificateAuthority { .. } => "invalid_input",
            Error::Core(e) => e.kind().as_str(),
            Error::Io { .. } => "io",
        }
    }

    /// A concrete next step for a person, when there is one.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            Error::UnknownTarget { .. } => {
                "run `certdesk stores` to see the stores on this computer".to_string()
            }
            Error::WrongPlatform { .. } => {
                "pick a store of this computer (`certdesk stores` lists them)".to_string()
            }
            Error::NotVerified { .. } => {
                "export a .p12 with `certdesk export p12 ID --profile compatible --out FILE` and import it with the system's own tool".to_string()
            }
            Error::NssDbMissing { dir } => format!(
                "check the path; to start a new database there run: certutil -N -d sql:{} --empty-password",
                dir.display()
            ),
            Error::NssDbReadOnly { .. } => {
                "the files or their file system cannot be written: check permissions and whether the disk is mounted read-only".to_string()
            }
            Error::NssPasswordRequired { .. } => {
                "put the primary password (Firefox: Settings → Privacy & Security → Use a primary password) in a file readable only by you and give it with --nss-password-file FILE".to_string()
            }
            Error::WrongNssPassword { .. } => {
                "check the primary password in the file given with --nss-password-file (it is case-sensitive)".to_string()
            }
            Error::NssToolsMissing { .. } => {
                "install the NSS tools: sudo apt install libnss3-tools (Fedora: nss-tools)".to_string()
            }
            Error::NssTool { .. } => {
                "close the browser using this database and try again".to_string()
            }
            Error::Timeout { .. } => {
                "close the browser using this database and try again".to_string()
            }
            Error::FirefoxProfileNotFound { .. } => {
                "give a profile name or directory listed by `certdesk stores`".to_string()
            }
            Error::BadProfilesIni { .. } => {
                "start Firefox once to repair its profile list, or install with nss:DIR".to_string()
            }
            Error::NotACertificateAuthority { .. } => {
                "trust the certificate of the CA that issued the site's certificate (ask the site's help desk for it)".to_string()
            }
            Error::Keychain { .. } => "unlock your login keychain and try again".to_string(),
            Error::WindowsStore { .. } => {
                "open certmgr.msc to check the Personal store, then try again".to_string()
            }
            Error::Core(e) => return e.hint(),
            Error::Io { .. } => "check that the path exists and that you may write there".to_string(),
        };
        Some(hint)
    }

    pub(crate) fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }
}
