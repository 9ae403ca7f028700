//! The practice CA's EST request decoding (crates/practice): the Authorization header and the
//! body of `simpleenroll`/`simplereenroll` (base64 or PEM of a PKCS#10 request), then the
//! request checks before anything is signed.
#![no_main]
use certdesk_core::secret::SecretString;
use certdesk_practice::ca::check_csr;
use certdesk_practice::est::{basic_auth_ok, decode_body};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = http::HeaderValue::from_bytes(data) {
        let _ = basic_auth_ok(
            Some(&header),
            certdesk_practice::DEMO_USER,
            &SecretString::new("ABCD-EFGH-JKLM"),
        );
    }
    if let Ok(der) = decode_body(data) {
        let _ = check_csr(&der);
    }
});
