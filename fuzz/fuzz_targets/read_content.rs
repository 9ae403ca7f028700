//! `encoding::read_content`: any file or download a user hands certdesk as "the certificate".
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = certdesk_core::encoding::read_content(data, "fuzz-input");
});
