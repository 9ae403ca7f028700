//! `revocation::revocation_sources`: the CRL distribution points and OCSP addresses of a
//! certificate (DER).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = certdesk_core::revocation::revocation_sources(data);
});
