//! certdesk-testkit: what certdesk's integration tests need from the outside world.
//!
//! Everything here drives real tools installed by `scripts/install-deps.sh` — `openssl`
//! (a throwaway CA, CSR/certificate/PKCS#12 readers), NSS `certutil`/`pk12util`, Java `keytool`
//! — so that what certdesk writes is checked by implementations we did not write, and what it
//! reads was produced by them. There are no mocks.
//!
//! What it does not do: it does not depend on certdesk's own crates for its fixtures, and it
//! never touches the real user's home, keyring or NSS databases (every helper works in a
//! temporary directory; [`temp_home`] gives tests a HOME of their own).
//!
//! Failures carry the tool's command line, exit status and stderr. Helpers whose failure is the
//! thing a test checks return `Result<_, String>`; fixture builders ([`OpensslCa`]) panic with the
//! same details, since a test cannot go on without its fixture. Secrets reach tools by file
//! ([`PasswordFile`]), never through argv.

mod ca;
pub mod chromium;
mod cmd;
pub mod est;
mod java;
mod nss;
mod openssl;
pub mod portal;
mod process;
pub mod scep;
pub mod scep_responder;
pub mod servers;
pub mod softhsm;

pub use ca::{IdentityFiles, IssuedIdentity, OpensslCa, P7Form, SignOpts, SignedCert};
pub use cmd::{run_tool, run_tool_with_stdin, PasswordFile, ToolOutput};
pub use java::{keytool_list_p12, keytool_make_p12};
pub use nss::NssDb;
pub use openssl::{
    openssl_pkcs12_export, openssl_pkcs12_info, openssl_pkcs7_certs, openssl_req_verify,
    openssl_verify, openssl_x509_text, OpensslP12Profile,
};
pub use process::{free_port, wait_for_port, ChildGuard};

/// Re-exported so tests can build [`SignOpts`] dates without depending on `time` themselves.
pub use time;

/// A fresh temporary directory to use as `HOME` and `CERTDESK_HOME` (deleted on drop).
pub fn temp_home() -> tempfile::TempDir {
    cmd::temp_dir("certdesk-home-")
}

#[cfg(test)]
mod kit_tests;
