//! certdesk-core: everything certdesk knows about client certificates, without any user interface.
//!
//! It generates keys locally, builds CSRs, reads certificate replies in every common encoding,
//! writes and reads PKCS#12, and keeps identities in an encrypted on-disk wallet whose wrapping
//! secrets live in the OS keyring.
//!
//! It does not talk to terminals, windows or OS certificate stores (see certdesk-store), and it
//! never returns private key bytes except as a user-requested PKCS#12 or encrypted PEM export.

mod asn1;
pub mod cert;
pub mod csr;
pub mod duration;
pub mod encoding;
pub mod enroll;
mod error;
pub mod fsutil;
pub mod history;
pub mod html;
pub mod inspect;
pub mod key;
pub mod pkcs12;
pub mod probe;
pub mod profile;
pub mod report;
pub mod revocation;
pub mod secret;
pub mod sites;
pub mod systool;
mod tls;
pub mod token;
pub use tls::warm_random;
pub mod transport;
pub mod vault;
pub mod wallet;
pub mod weburl;

pub use error::{Error, ErrorKind, Result};
