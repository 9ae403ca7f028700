//! `key::PrivateKey::from_pem` (PEM, encrypted ones with the seed corpus' password) and
//! `key::PrivateKey::from_pkcs8_der` (the same bytes as DER).
#![no_main]
use certdesk_core::key::PrivateKey;
use certdesk_core::secret::SecretString;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let password = SecretString::new("fuzz-password");
    let _ = PrivateKey::from_pem(data, Some(&password), "fuzz-input");
    let _ = PrivateKey::from_pkcs8_der(data);
});
