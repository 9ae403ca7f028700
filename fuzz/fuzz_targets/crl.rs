//! `revocation::check_crl`: a downloaded CRL (PEM or DER), checked for the fixture leaf
//! certificate under the fixture CA (fuzz/fixtures, made by make-corpus.sh with the CA that
//! signed the seed CRLs).
#![no_main]
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

const LEAF: &[u8] = include_bytes!("../fixtures/leaf.der");
const CA: &[u8] = include_bytes!("../fixtures/ca.der");

fuzz_target!(|data: &[u8]| {
    // 2030-06-01T00:00:00Z: inside the seed CRLs' validity, and fixed so that a crash reproduces.
    let now = OffsetDateTime::from_unix_timestamp(1_906_502_400).expect("valid time");
    let _ = certdesk_core::revocation::check_crl(data, LEAF, CA, now);
});
