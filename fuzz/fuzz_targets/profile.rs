//! `profile::check_profile`: a help-desk profile (TOML) from a file or a `certdesk://` link.
//! Profiles are read as UTF-8 text; other bytes never reach the parser.
#![no_main]
use certdesk_core::profile::{check_profile, ProfileOrigin};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(problems) = check_profile(text, ProfileOrigin::Url("fuzz-input".into())) {
        assert!(!problems.is_empty(), "a refusal names at least one problem");
    }
});
