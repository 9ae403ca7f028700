//! `enroll::est::parse_retry_after`: the Retry-After header of an EST 202 answer.
#![no_main]
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // 2030-06-01T00:00:00Z: fixed, so that a crash reproduces.
    let now = OffsetDateTime::from_unix_timestamp(1_906_502_400).expect("valid time");
    let wait = certdesk_core::enroll::est::parse_retry_after(Some(text), now);
    assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(86_400));
});
