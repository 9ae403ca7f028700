//! `inspect::inspect_bytes`: `certdesk inspect FILE` on any file (a PKCS#12 is opened with the
//! password of the seed corpus' .p12 files, unless it asks for more key-derivation work than a
//! fuzz run affords: kdf_budget.rs).
#![no_main]
use certdesk_core::encoding::{read_content, Content};
use certdesk_core::secret::SecretString;
use libfuzzer_sys::fuzz_target;

mod kdf_budget;

fuzz_target!(|data: &[u8]| {
    let password = SecretString::new("fuzz-password");
    let costly = matches!(read_content(data, "fuzz-input"), Ok(Content::Pkcs12(der)) if kdf_budget::too_costly(&der));
    let password = (!costly).then_some(&password);
    let _ = certdesk_core::inspect::inspect_bytes(data, "fuzz-input", password);
});
