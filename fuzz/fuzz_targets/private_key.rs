//! `key::PrivateKey::from_pem` (PEM, encrypted ones with the seed corpus' password, unless they
//! ask for more key-derivation work than a fuzz run affords: kdf_budget.rs) and
//! `key::PrivateKey::from_pkcs8_der` (the same bytes as DER).
#![no_main]
use certdesk_core::key::PrivateKey;
use certdesk_core::secret::SecretString;
use libfuzzer_sys::fuzz_target;

mod kdf_budget;

fuzz_target!(|data: &[u8]| {
    let costly = pem::parse(data).is_ok_and(|block| kdf_budget::too_costly(block.contents()));
    if !costly {
        let password = SecretString::new("fuzz-password");
        let _ = PrivateKey::from_pem(data, Some(&password), "fuzz-input");
    }
    let _ = PrivateKey::from_pkcs8_der(data);
});
