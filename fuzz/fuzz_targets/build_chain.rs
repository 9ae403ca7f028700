//! `cert::build_chain`: ordering the certificates of a reply (leaf first, then the pool).
//!
//! Input: a sequence of `[u16 big-endian length][that many bytes]` records; the first is the
//! leaf, the rest the pool. At most MAX_CHAIN_POOL + 2 records are read (one more than the
//! function accepts, to reach its refusal); a short or truncated record ends the list.
#![no_main]
use certdesk_core::cert::{build_chain, MAX_CHAIN_POOL};
use libfuzzer_sys::fuzz_target;

fn records(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while out.len() < MAX_CHAIN_POOL + 2 && data.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        data = &data[2..];
        let take = len.min(data.len());
        out.push(data[..take].to_vec());
        data = &data[take..];
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let mut certs = records(data);
    if certs.is_empty() {
        return;
    }
    let leaf = certs.remove(0);
    if let Ok(chain) = build_chain(&leaf, &certs) {
        assert_eq!(chain.first(), Some(&leaf), "the chain starts at the leaf");
        assert!(chain.len() <= certdesk_core::cert::MAX_CHAIN_DEPTH + 1);
    }
});
