//! `pkcs12::import_pkcs12`: a .p12/.pfx file, opened with the password of the seed corpus'
//! files (the whole import runs) and with a wrong one (the MAC check refuses it).
#![no_main]
use certdesk_core::secret::SecretString;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for password in ["fuzz-password", "wrong password"] {
        let password = SecretString::new(password);
        let _ = certdesk_core::pkcs12::import_pkcs12(data, &password, "fuzz-input");
    }
});
