//! `certdesk_store::nss::parse_cert_list`: the output of `certutil -L` (NSS databases hold
//! nicknames other programs chose), and the trust-string edits applied to what it returns.
#![no_main]
use certdesk_store::nss::{parse_cert_list, with_server_trust, without_server_trust};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for (nick, trust) in parse_cert_list(&text) {
        assert!(!nick.is_empty());
        let _ = with_server_trust(&trust);
        let _ = without_server_trust(&trust);
    }
});
