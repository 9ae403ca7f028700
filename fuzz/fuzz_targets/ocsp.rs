//! `revocation::check_ocsp_response`: an OCSP responder's answer (DER), checked for the
//! fixture leaf certificate under the fixture CA, with the nonce of the fixture request that
//! the seed answers echo (fuzz/fixtures, made by make-corpus.sh).
#![no_main]
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

const LEAF: &[u8] = include_bytes!("../fixtures/leaf.der");
const CA: &[u8] = include_bytes!("../fixtures/ca.der");
const NONCE: &[u8] = include_bytes!("../fixtures/ocsp-nonce.bin");

fuzz_target!(|data: &[u8]| {
    // 2030-06-01T00:00:00Z: inside the seed answers' validity, fixed so that a crash reproduces.
    let now = OffsetDateTime::from_unix_timestamp(1_906_502_400).expect("valid time");
    let _ = certdesk_core::revocation::check_ocsp_response(data, LEAF, CA, Some(NONCE), now);
});
