//! A SCEP server's answers (RFC 8894), all untrusted: the GetCACaps text, the GetCACert answer
//! (one certificate or a certs-only PKCS#7, BER or DER), and a PKIOperation answer (CertRep)
//! read against a fixed expectation (our key, transactionID and nonce), plus the BER-to-DER
//! normaliser and the message reader they share.
#![no_main]
use std::sync::OnceLock;

use certdesk_core::enroll::scep::{
    ber_to_der, message_facts, parse_ca_certs, parse_caps, read_cert_rep, self_signed_signer,
    Expect,
};
use certdesk_core::key::{KeySpec, PrivateKey};
use libfuzzer_sys::fuzz_target;

/// One RSA key and its self-signed signer certificate for every input (making them per input
/// would spend the run on key generation).
fn ours() -> &'static (PrivateKey, Vec<u8>) {
    static OURS: OnceLock<(PrivateKey, Vec<u8>)> = OnceLock::new();
    OURS.get_or_init(|| {
        let key = PrivateKey::generate(KeySpec::Rsa2048).expect("RSA key");
        let cert = self_signed_signer(&key, "fuzz").expect("signer certificate");
        (key, cert)
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = parse_caps(data);
    let _ = ber_to_der(data);
    let _ = message_facts(data);
    // The answer is read against the certificates this same input names as CA/RA, if any,
    // so the signature check is reached too.
    let signers = parse_ca_certs(data, "fuzz-input")
        .map(|cas| cas.all)
        .unwrap_or_default();
    let (key, cert) = ours();
    let nonce = [7u8; 16];
    let expect = Expect {
        transaction_id: "fuzz",
        sender_nonce: &nonce,
        trusted_signers: &signers,
        our_cert_der: cert,
        our_key: key,
    };
    let _ = read_cert_rep(data, "fuzz-input", &expect);
});
