//! `inspect::inspect_bytes`: `certdesk inspect FILE` on any file (a PKCS#12 is opened with the
//! password of the seed corpus' .p12 files).
#![no_main]
use certdesk_core::secret::SecretString;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let password = SecretString::new("fuzz-password");
    let _ = certdesk_core::inspect::inspect_bytes(data, "fuzz-input", Some(&password));
});
