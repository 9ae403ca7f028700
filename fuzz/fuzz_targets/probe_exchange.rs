//! The site check's HTTP exchange (`probe::exchange`): hyper's HTTP/1.1 or HTTP/2 client on
//! an in-memory pipe, fed a hostile server's bytes. The first input byte chooses the version
//! (even: HTTP/1.1, odd: HTTP/2), the rest is what the server sends.
#![no_main]
use certdesk_core::probe::exchange::{exchange_with_canned_server, HttpVersion};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, server)) = data.split_first() else {
        return;
    };
    let version = if choice % 2 == 0 {
        HttpVersion::Http11
    } else {
        HttpVersion::Http2
    };
    if let Ok(answer) = exchange_with_canned_server(server, version, false) {
        assert!((100..=999).contains(&answer.status), "{}", answer.status);
        if let Some(excerpt) = &answer.excerpt {
            assert!(excerpt.chars().count() <= 300 && !excerpt.is_empty());
        }
    }
});
