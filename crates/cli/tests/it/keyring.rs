//! Keys protected by a random secret in the OS keyring (the real Secret Service, gnome-keyring),
//! and what happens when there is no keyring.
//!
//! The tests that need a Secret Service are ignored by default: they must run on the private,
//! throwaway keyring of `scripts/with-keyring.sh` (as `scripts/test-all.sh` does), and refuse to
//! run against any other (the user's own keyring must never be touched):
//!
//! ```text
//! dbus-run-session -- scripts/with-keyring.sh cargo nextest run -p certdesk-cli --run-ignored all keyring
//! ```

use std::process::Command;

use crate::common::{arg, require_test_keyring, run_command, Sandbox, NO_BUS};
use certdesk_testkit::{run_tool, OpensslCa, SignOpts};

/// `secret-tool lookup service certdesk username ID`: the secret's length, or None.
fn keyring_secret_len(id: &str) -> Option<usize> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "certdesk", "username", id])
        .output()
        .expect("run secret-tool");
    out.status.success().then_some(out.stdout.len())
}

#[test]
#[ignore = "needs a Secret Service session: run under scripts/with-keyring.sh (scripts/test-all.sh does)"]
fn key_protected_by_the_keyring_until_deleted() {
    require_test_keyring();
    let sb = Sandbox::with_keyring();
    let ca = OpensslCa::new("Keyring");
    let id = sb.new_request("CN=Kay Keyring,O=Example Corp", &[]);

    // A 32-byte wrapping secret under service=certdesk, username=<id>.
    assert_eq!(
        keyring_secret_len(&id),
        Some(32),
        "no 32-byte secret for {id} in the keyring"
    );
    let shown = sb.run(&["--json", "identity", "show", &id]).ok().json();
    assert_eq!(shown["protection"]["kind"], "keyring", "{shown}");
    assert_eq!(shown["protection"]["vault"], "Secret Service", "{shown}");

    // Issued, and exported without any passphrase.
    let signed = ca.sign_csr(&sb.export_csr(&id), SignOpts::default());
    let reply = sb.file("reply.pem", &signed.full_chain_pem());
    sb.run(&["import", arg(&reply)]).ok();
    assert_eq!(sb.status(&id), "issued");
    sb.export_p12_checked(&id, "modern");

    // Without the keyring the key stays locked.
    let mut cmd = sb.command(&[
        "export",
        "p12",
        &id,
        "--out",
        arg(&sb.path("nokeyring.p12")),
    ]);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", NO_BUS);
    let run = run_command(cmd);
    assert_eq!(
        run.error(),
        format!(
            "no OS keyring is reachable to protect the private key: the key of identity {id} is protected by Secret Service"
        ),
        "{run}"
    );
    assert!(!sb.path("nokeyring.p12").exists());

    // Deleting the identity deletes its keyring secret.
    let run = sb.run(&["identity", "delete", &id]).ok();
    assert_eq!(
        run.stdout,
        format!("Deleted Kay Keyring ({id}) and its private key.\n")
    );
    assert_eq!(keyring_secret_len(&id), None, "the keyring secret survived");
    assert!(sb.list().is_empty());
    assert!(!sb.wallet().join("identities").join(&id).exists());
}

#[test]
#[ignore = "needs a Secret Service session: run under scripts/with-keyring.sh (scripts/test-all.sh does)"]
fn keyring_secret_removed_behind_our_back() {
    require_test_keyring();
    let sb = Sandbox::with_keyring();
    let ca = OpensslCa::new("Keyring");
    let id = sb.new_request("CN=Lou Lost", &[]);
    let signed = ca.sign_csr(&sb.export_csr(&id), SignOpts::default());
    let reply = sb.file("reply.pem", &signed.full_chain_pem());
    sb.run(&["import", arg(&reply)]).ok();
    run_tool(Command::new("secret-tool").args(["clear", "service", "certdesk", "username", &id]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(keyring_secret_len(&id), None);

    let out = sb.path("lost.p12");
    let run = sb.run(&["export", "p12", &id, "--out", arg(&out)]);
    assert_eq!(
        run.error(),
        format!(
            "the OS keyring has no secret for identity {id}: Secret Service has no entry certdesk/{id}"
        ),
        "{run}"
    );
    assert_eq!(
        run.hint(),
        "the keyring entry was deleted or belongs to another login; without it the key cannot be opened, so create a new request"
    );
    assert!(!out.exists());
    // The identity can still be deleted.
    sb.run(&["identity", "delete", &id]).ok();
    assert!(sb.list().is_empty());
}

/// No Secret Service and no passphrase: refused before anything is written. Needs no keyring,
/// so it is not ignored.
#[test]
fn without_keyring_or_passphrase_nothing_is_written() {
    let sb = Sandbox::without_keyring_or_passphrase();
    let run = sb.run(&["request", "new", "--subject", "CN=Nia Nokeyring"]);
    let message = run.error();
    assert!(
        message.starts_with("no OS keyring is reachable to protect the private key: "),
        "{run}"
    );
    let hint = run.hint();
    assert!(hint.contains("--passphrase-file"), "{run}");
    assert_eq!(
        hint,
        "unlock or start your desktop keyring, or protect the key with your own passphrase (--passphrase-file FILE)"
    );
    assert!(
        !sb.wallet().exists(),
        "the refused request created the wallet"
    );
    assert!(sb.list().is_empty());

    let run = sb.run(&["--json", "request", "new", "--subject", "CN=Nia Nokeyring"]);
    assert_eq!(run.code, Some(2), "{run}");
    let err = run.json();
    assert_eq!(err["error"]["kind"], "keyring", "{run}");
    assert_eq!(
        err["error"]["hint"],
        "unlock or start your desktop keyring, or protect the key with your own passphrase (--passphrase-file FILE)"
    );
    assert!(!sb.wallet().exists());
}
