//! All integration tests of this crate in one binary: each file used to be its own test
//! binary, linking the whole dependency tree again (issue #11).

mod browser_chromium;
mod common;
mod pkcs12_java;
mod probe_apache;
mod probe_local_cert;
mod probe_network;
mod probe_nginx;
mod probe_node;
mod revocation;
mod scep;
mod store_nicknames;
mod token_softhsm;
