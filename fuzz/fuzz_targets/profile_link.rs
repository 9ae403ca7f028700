//! `profile::parse_profile_link`: a `certdesk://profile?url=…&sha256=…` link.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(link) = certdesk_core::profile::parse_profile_link(text) {
        let _ = link.check_sha256(data);
    }
});
