//! `encoding::certs_from_pkcs7`: a PKCS#7 certs-only bundle (EST `cacerts`/`simpleenroll`, .p7b).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = certdesk_core::encoding::certs_from_pkcs7(data, "fuzz-input");
});
