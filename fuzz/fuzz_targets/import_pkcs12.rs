//! `pkcs12::import_pkcs12`: a .p12/.pfx file, opened with the password of the seed corpus'
//! files (the whole import runs) and with a wrong one (the MAC check refuses it). Files asking
//! for more key-derivation work than a fuzz run affords are skipped (kdf_budget.rs).
#![no_main]
use certdesk_core::secret::SecretString;
use libfuzzer_sys::fuzz_target;

mod kdf_budget;

fuzz_target!(|data: &[u8]| {
    if kdf_budget::too_costly(data) {
        return;
    }
    for password in ["fuzz-password", "wrong password"] {
        let password = SecretString::new(password);
        let _ = certdesk_core::pkcs12::import_pkcs12(data, &password, "fuzz-input");
    }
});
