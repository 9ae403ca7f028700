//! `csr::Csr::from_der` and, for a request whose signature verifies, `Csr::facts`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(csr) = certdesk_core::csr::Csr::from_der(data.to_vec()) {
        let _ = csr.facts();
        let _ = csr.fingerprint_sha256();
    }
});
