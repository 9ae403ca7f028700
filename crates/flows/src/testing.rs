//! Fixtures for the flows' tests: a wallet in a temporary home with a pending request, and a
//! CA (openssl, from certdesk-testkit) that signs it.

use std::sync::Arc;

use certdesk_core::csr::{CsrSpec, SubjectSpec};
use certdesk_core::key::KeySpec;
use certdesk_core::vault::MemoryVault;
use certdesk_core::wallet::{KeyProtection, NewRequest, Wallet};
use certdesk_testkit::{OpensslCa, SignOpts};

/// A temporary home, its wallet, a CA, and the id of a pending request for `name`.
pub(crate) fn pending(name: &str) -> (tempfile::TempDir, Wallet, OpensslCa, String) {
    let home = tempfile::tempdir().expect("temp dir");
    let wallet = Wallet::open(home.path()).expect("open the wallet");
    let request = NewRequest {
        label: None,
        csr: CsrSpec {
            subject: SubjectSpec {
                common_name: name.into(),
                ..SubjectSpec::default()
            },
            challenge_password: None,
        },
        key_type: KeySpec::default(),
        via: "test".into(),
    };
    let protection = KeyProtection::Keyring(Arc::new(MemoryVault::default()));
    let id = wallet
        .create_request(&request, &protection)
        .expect("create the request")
        .id;
    (home, wallet, OpensslCa::new("Flows"), id)
}

/// The CA's reply to `id`'s request: its certificate, PEM, then the chain.
pub(crate) fn sign_reply(wallet: &Wallet, ca: &OpensslCa, id: &str) -> Vec<u8> {
    let csr = wallet
        .get(id)
        .expect("get")
        .csr()
        .expect("csr")
        .expect("a pending request has one");
    let signed = ca.sign_csr(csr.pem().as_bytes(), SignOpts::default());
    let mut reply = signed.cert_pem;
    reply.extend_from_slice(&signed.chain_pem);
    reply
}
