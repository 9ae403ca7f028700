//! certdesk-store: installs identities into the certificate stores browsers and the OS read
//! (NSS on Linux, the macOS Keychain, the Windows user store).
//!
//! It does not create keys or certificates; it receives PKCS#12 bytes built by certdesk-core.
//! The platform back-ends arrive with issue #5.
