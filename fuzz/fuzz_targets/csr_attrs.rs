//! `enroll::est::parse_csr_attrs`: an EST server's `csrattrs` answer, and what certdesk does
//! with the wishes it reads (the key type they ask for, the plan of changes to a request).
#![no_main]
use certdesk_core::enroll::est::{
    key_type_from_wishes, parse_csr_attrs, plan_csr_changes, RequestFacts,
};
use certdesk_core::key::KeySpec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(wishes) = parse_csr_attrs(data, "fuzz-input") {
        let _ = key_type_from_wishes(&wishes);
        for key in [KeySpec::EcP256, KeySpec::Rsa2048] {
            let _ = plan_csr_changes(&wishes, &RequestFacts::assumed(key, true));
        }
    }
});
