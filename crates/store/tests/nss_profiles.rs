//! certdesk-store against real `certutil`/`pk12util`: a Firefox profile that was never started
//! (no database yet) gets one, a stale profile (listed, directory gone) is refused, and the
//! identity is found by SHA-256 afterwards. The PKCS#12 is made by `openssl`, not by certdesk.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use certdesk_core::secret::SecretString;
use certdesk_store::{
    find_installed, install, resolve_targets, sha256_fingerprint, Error, InstallItem,
    InstallOutcome, StoreTarget, TargetSpec,
};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (p12 bytes, certificate DER) of a self-signed client identity named `cn`.
fn openssl_identity(dir: &Path, cn: &str) -> (Vec<u8>, Vec<u8>) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "k.pem",
            "-out",
            "c.pem",
            "-days",
            "5",
            "-subj",
            &format!("/CN={cn}"),
        ],
    );
    std::fs::write(dir.join("pw"), "one-time-pw\n").unwrap();
    openssl(
        dir,
        &[
            "pkcs12", "-export", "-in", "c.pem", "-inkey", "k.pem", "-name", cn, "-out", "id.p12",
            "-passout", "file:pw",
        ],
    );
    openssl(
        dir,
        &["x509", "-in", "c.pem", "-outform", "DER", "-out", "c.der"],
    );
    (
        std::fs::read(dir.join("id.p12")).unwrap(),
        std::fs::read(dir.join("c.der")).unwrap(),
    )
}

#[test]
fn never_started_profile_gets_a_database_and_a_stale_one_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join(".mozilla/firefox");
    std::fs::create_dir_all(root.join("new.fresh")).unwrap();
    std::fs::write(
        root.join("profiles.ini"),
        "[Profile0]\nName=fresh\nIsRelative=1\nPath=new.fresh\n\n[Profile1]\nName=gone\nIsRelative=1\nPath=old.gone\n",
    )
    .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let (p12, cert) = openssl_identity(scratch.path(), "Store Fresh");
    let password = SecretString::new("one-time-pw");
    let item = InstallItem {
        p12_der: &p12,
        p12_password: &password,
        nickname: "Store Fresh",
        cert_der: &cert,
    };

    let fresh = resolve_targets(
        &TargetSpec::Firefox {
            profile: Some("fresh".into()),
        },
        home.path(),
    )
    .unwrap();
    let outcome = install(&fresh[0], &item, None).unwrap();
    match &outcome {
        InstallOutcome::Installed {
            nickname, warnings, ..
        } => {
            // The label and the first 8 hex of the key id (issue #12: unique per identity).
            assert_eq!(
                nickname,
                &certdesk_store::nss::nickname_for("Store Fresh", &cert)
            );
            assert!(nickname.starts_with("Store Fresh ("), "{nickname}");
            assert!(
                warnings
                    .iter()
                    .any(|w| w.starts_with("created a new NSS database")),
                "{warnings:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(root.join("new.fresh/cert9.db").is_file());
    assert_eq!(
        find_installed(&fresh[0], &sha256_fingerprint(&cert).to_lowercase()).unwrap(),
        Some(certdesk_store::nss::nickname_for("Store Fresh", &cert))
    );

    // The stale entry (directory gone) is neither detected nor resolved, and an install aimed
    // at its directory directly does not create it.
    let gone = resolve_targets(
        &TargetSpec::Firefox {
            profile: Some("gone".into()),
        },
        home.path(),
    )
    .unwrap_err();
    assert!(
        matches!(gone, Error::FirefoxProfileNotFound { ref known, .. } if known == "fresh"),
        "{gone:?}"
    );
    let all = resolve_targets(&TargetSpec::All, home.path()).unwrap();
    assert!(
        all.iter().all(|t| !t.to_string().contains("old.gone")),
        "{all:?}"
    );
    let stale = StoreTarget::Firefox {
        profile: "gone".into(),
        db: root.join("old.gone"),
    };
    let err = install(&stale, &item, None).unwrap_err();
    assert!(matches!(err, Error::NssDbMissing { .. }), "{err:?}");
    assert!(
        !root.join("old.gone").exists(),
        "a stale profile was created"
    );
}
