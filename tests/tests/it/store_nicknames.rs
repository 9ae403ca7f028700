//! Issue #12: removing one identity from an NSS database never removes another that shares
//! its label, against a real database and the real `certutil`/`pk12util`.
//!
//! NSS gives every certificate of one subject the same nickname on import, and `certutil -F
//! -n NICK` deletes whichever of them it picks; the code before deleted both identities (the
//! wrong one by nickname, then the right one with `-D`). Each identity here has the same
//! subject and a label that differs at most by trailing spaces.

use certdesk_core::csr::{CsrSpec, SubjectSpec};
use certdesk_core::secret::{generate_password, SecretString};
use certdesk_core::wallet::{Identity, KeyAccess, KeyProtection, NewRequest, Wallet};
use certdesk_store::{nss, Handover, InstallOutcome, RemoveOutcome, StoreTarget};
use certdesk_testkit::{temp_home, NssDb, OpensslCa, SignOpts};

struct World {
    _home: tempfile::TempDir,
    wallet: Wallet,
    access: KeyAccess,
    ca: OpensslCa,
    db: NssDb,
    target: StoreTarget,
}

impl World {
    fn new() -> World {
        let home = temp_home();
        let wallet = Wallet::open(home.path().join("wallet")).expect("open wallet");
        let db_dir = home.path().join("nssdb");
        let db = NssDb::create(&db_dir).unwrap_or_else(|e| panic!("{e}"));
        World {
            wallet,
            access: KeyAccess {
                vault: None,
                passphrase: Some(SecretString::new("nickname-test-passphrase")),
                pin: None,
            },
            ca: OpensslCa::new("Nickname Client"),
            db,
            target: StoreTarget::Nss { db: db_dir },
            _home: home,
        }
    }

    /// An issued identity labelled `label`, subject `CN=Ada Lovelace`.
    fn identity(&self, label: &str) -> Identity {
        let protection = KeyProtection::Passphrase(
            self.access
                .passphrase
                .clone()
                .expect("the test wallet uses a passphrase"),
        );
        let pending = self
            .wallet
            .create_request(
                &NewRequest {
                    label: Some(label.into()),
                    csr: CsrSpec {
                        subject: SubjectSpec::parse_dn("CN=Ada Lovelace,O=Example Corp")
                            .expect("subject"),
                        challenge_password: None,
                    },
                    via: "test".into(),
                    ..NewRequest::default()
                },
                &protection,
            )
            .expect("create request");
        let csr = pending.csr().expect("csr").expect("has a request");
        let signed = self.ca.sign_csr(csr.pem().as_bytes(), SignOpts::default());
        self.wallet
            .import_certificate(&signed.full_chain_pem(), "reply.pem", None)
            .expect("import reply");
        self.wallet.get(&pending.id).expect("issued identity")
    }

    fn leaf(identity: &Identity) -> Vec<u8> {
        identity.chain_der().expect("chain").remove(0)
    }

    /// Installs as older certdesk versions did: the PKCS#12 straight into `pk12util`, under its
    /// friendly name (the bare label).
    fn install_the_old_way(&self, identity: &Identity) {
        let password = generate_password();
        let p12 = self
            .wallet
            .export_pkcs12(
                &identity.id,
                &self.access,
                &password,
                self.target.p12_profile(),
            )
            .expect("export p12");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("id.p12");
        std::fs::write(&path, p12).expect("write p12");
        self.db
            .import_p12(&path, password.expose())
            .unwrap_or_else(|e| panic!("{e}"));
    }

    fn uninstall(&self, identity: &Identity) -> RemoveOutcome {
        let chain = identity.chain_der().expect("chain");
        certdesk_store::uninstall(&self.target, &chain[0], &chain, None).expect("uninstall")
    }

    /// (listing, keys) as certutil shows them.
    fn listing(&self) -> (String, String) {
        (
            self.db.list_certs().unwrap_or_else(|e| panic!("{e}")),
            self.db.list_keys().unwrap_or_else(|e| e),
        )
    }

    /// The identity is listed under `nickname` with user trust (NSS holds its key), its key is
    /// listed by its key id, and the name leads to this very certificate.
    fn assert_present(&self, identity: &Identity, nickname: &str) {
        let (listing, keys) = self.listing();
        let row = listing
            .lines()
            .find(|l| l.starts_with(nickname) && l[nickname.len()..].starts_with("  "))
            .unwrap_or_else(|| panic!("{nickname:?} not listed:\n{listing}"));
        assert!(row.trim_end().ends_with("u,u,u"), "{row}");
        let leaf = Self::leaf(identity);
        let key_id: String = nss::key_id(&leaf)
            .expect("an EC key")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(keys.contains(&key_id), "key {key_id} missing:\n{keys}");
        let pem = self.db.cert_pem(nickname).unwrap_or_else(|e| panic!("{e}"));
        let (ders, _, _) = certdesk_core::encoding::read_certificates(pem.as_bytes(), nickname)
            .expect("certutil answers PEM");
        assert!(
            ders.contains(&leaf),
            "{nickname} does not lead to its certificate"
        );
    }

    fn assert_absent(&self, identity: &Identity) {
        let (listing, keys) = self.listing();
        let leaf = Self::leaf(identity);
        let key_id: String = nss::key_id(&leaf)
            .expect("an EC key")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!keys.contains(&key_id), "key {key_id} still there:\n{keys}");
        let sha = certdesk_store::sha256_fingerprint(&leaf);
        let found = certdesk_store::find_installed(&self.target, &sha).expect("find");
        assert_eq!(found, None, "still installed:\n{listing}");
    }
}

#[test]
fn two_identities_with_the_same_label_get_their_own_nicknames_and_are_removed_one_by_one() {
    let world = World::new();
    let first = world.identity("Ada");
    let second = world.identity("Ada   ");
    let mut handover = Handover::new(&world.wallet, &world.access);
    let mut names = Vec::new();
    for identity in [&first, &second] {
        match handover
            .install(identity, &world.target, None)
            .expect("install")
        {
            InstallOutcome::Installed { nickname, .. } => names.push(nickname),
            other => panic!("{other:?}"),
        }
    }
    let (listing, _) = world.listing();
    assert_ne!(names[0], names[1], "{listing}");
    for (identity, name) in [(&first, &names[0]), (&second, &names[1])] {
        assert_eq!(name, &nss::nickname_for("Ada", &World::leaf(identity)));
        assert!(name.starts_with("Ada (") && !name.contains("  "), "{name}");
        world.assert_present(identity, name);
    }

    let removed = world.uninstall(&first);
    assert!(
        matches!(&removed, RemoveOutcome::Removed { nicknames, removed_ca, .. }
            if *nicknames == [names[0].clone()] && removed_ca.is_empty()),
        "{removed:?}"
    );
    world.assert_absent(&first);
    world.assert_present(&second, &names[1]);

    world.uninstall(&second);
    world.assert_absent(&second);
    let (listing, _) = world.listing();
    assert!(!listing.contains("u,u,u"), "{listing}");
}

#[test]
fn an_install_of_an_older_version_under_the_bare_label_is_removed_only_for_its_own_certificate() {
    let world = World::new();
    let first = world.identity("Ada");
    let second = world.identity("Ada");
    let never_installed = world.identity("Ada");
    world.install_the_old_way(&first);
    world.install_the_old_way(&second);
    let (listing, _) = world.listing();
    assert_eq!(listing.matches("u,u,u").count(), 2, "{listing}");

    // Same label, never installed: found nowhere, nothing removed.
    assert!(
        matches!(
            world.uninstall(&never_installed),
            RemoveOutcome::NotInstalled { .. }
        ),
        "{listing}"
    );
    assert_eq!(world.listing().0.matches("u,u,u").count(), 2);

    // The old install is still found, and is already installed for the hand-over.
    let mut handover = Handover::new(&world.wallet, &world.access);
    assert!(matches!(
        handover.install(&first, &world.target, None),
        Ok(InstallOutcome::AlreadyInstalled { .. })
    ));

    let removed = world.uninstall(&first);
    assert!(
        matches!(&removed, RemoveOutcome::Removed { nicknames, .. } if *nicknames == ["Ada"]),
        "{removed:?}"
    );
    world.assert_absent(&first);
    world.assert_present(&second, "Ada");
}
