//! A real browser presents the identity certdesk installed: headless Chromium (the system
//! package) with a temporary HOME loads a page from a local nginx that requires a client
//! certificate and echoes its subject. The server's CA is trusted only through certdesk's
//! explicit trust function (no `--ignore-certificate-errors`), so the run also proves that.
//! After removal, the same page no longer shows the subject.

use certdesk_core::csr::{CsrSpec, SubjectSpec};
use certdesk_core::secret::{generate_password, SecretString};
use certdesk_core::wallet::{KeyAccess, KeyProtection, NewRequest, Wallet};
use certdesk_store::{InstallItem, InstallOutcome, RemoveOutcome, StoreTarget};
use certdesk_testkit::chromium::{ChromiumPage, HeadlessChromium};
use certdesk_testkit::servers::NginxSpec;
use certdesk_testkit::{temp_home, NssDb, OpensslCa, SignOpts};

fn explain(what: &str, page: &ChromiumPage) -> String {
    let log: Vec<&str> = page
        .log
        .lines()
        .filter(|l| !l.contains("dbus"))
        .take(30)
        .collect();
    format!(
        "{what}: exit {:?} after {:?}\n--- DOM ---\n{}\n--- log (without D-Bus noise) ---\n{}",
        page.code,
        page.elapsed,
        page.dom,
        log.join("\n")
    )
}

#[test]
fn headless_chromium_presents_the_installed_identity_and_not_after_removal() {
    let client_ca = OpensslCa::new("Browser Client");
    let server = NginxSpec::new(client_ca.root_pem()).start();
    let url = server.url_for("/");
    let origin = url.trim_end_matches('/').to_string();

    // The identity: a key made by certdesk, signed by `openssl ca`, imported into the wallet.
    let home = temp_home();
    let wallet = Wallet::open(home.path().join("wallet")).expect("open wallet");
    let passphrase = SecretString::new("browser-test-passphrase");
    let identity = wallet
        .create_request(
            &NewRequest {
                label: None,
                csr: CsrSpec {
                    subject: SubjectSpec::parse_dn("CN=Browser Alice,O=Example Corp")
                        .expect("subject"),
                    challenge_password: None,
                },
                via: "test".into(),
                ..NewRequest::default()
            },
            &KeyProtection::Passphrase(passphrase.clone()),
        )
        .expect("create request");
    let csr = identity.csr().expect("csr").expect("has a request");
    let signed = client_ca.sign_csr(csr.pem().as_bytes(), SignOpts::default());
    wallet
        .import_certificate(&signed.full_chain_pem(), "reply.pem", None)
        .expect("import reply");
    let identity = wallet.get(&identity.id).expect("issued identity");
    let chain = identity.chain_der().expect("chain");

    // `certdesk install ID --to nss:$HOME/.pki/nssdb`, through the same library calls.
    let db_dir = home.path().join(".pki/nssdb");
    let db = NssDb::create(&db_dir).unwrap_or_else(|e| panic!("{e}"));
    let target = StoreTarget::Nss { db: db_dir.clone() };
    let access = KeyAccess {
        vault: None,
        passphrase: Some(passphrase),
        pin: None,
    };
    let p12_password = generate_password();
    let p12 = wallet
        .export_pkcs12(&identity.id, &access, &p12_password, target.p12_profile())
        .expect("export p12");
    let installed = certdesk_store::install(
        &target,
        &InstallItem {
            p12_der: &p12,
            p12_password: &p12_password,
            nickname: &identity.label,
            cert_der: &chain[0],
        },
        None,
    )
    .expect("install");
    assert!(
        matches!(installed, InstallOutcome::Installed { ref nickname, .. }
            if *nickname == certdesk_store::nss::nickname_for("Browser Alice", &chain[0])),
        "{installed:?}"
    );

    let browser = HeadlessChromium::new(home.path(), &origin).unwrap_or_else(|e| panic!("{e}"));

    // Nothing trusted the server's CA implicitly: Chromium refuses the site.
    let untrusted = browser.dump_dom(&url).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !untrusted.dom.contains("hello "),
        "{}",
        explain("before trust-ca", &untrusted)
    );

    let server_ca = certdesk_core::encoding::read_certificates(&server.server_ca_pem, "server CA")
        .expect("server CA")
        .0;
    let trusted = certdesk_store::trust_server_ca(&target, &server_ca[0], None).expect("trust");
    assert!(!trusted.already_trusted, "{trusted:?}");
    assert!(
        db.list_certs()
            .unwrap_or_else(|e| panic!("{e}"))
            .lines()
            .any(|l| l.starts_with(&trusted.nickname) && l.trim_end().ends_with("C,,")),
        "{trusted:?}"
    );

    let page = browser.dump_dom(&url).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "headless chromium run with the identity installed: {:?}",
        page.elapsed
    );
    assert_eq!(page.code, Some(0), "{}", explain("installed", &page));
    assert!(
        page.dom.contains("hello CN=Browser Alice,O=Example Corp"),
        "{}",
        explain("installed", &page)
    );

    let removed =
        certdesk_store::uninstall(&target, &chain[0], &chain[1..], None).expect("uninstall");
    assert!(
        matches!(removed, RemoveOutcome::Removed { .. }),
        "{removed:?}"
    );
    let after = browser.dump_dom(&url).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("headless chromium run after removal: {:?}", after.elapsed);
    assert_eq!(after.code, Some(0), "{}", explain("removed", &after));
    assert!(
        !after.dom.contains("Browser Alice"),
        "{}",
        explain("removed", &after)
    );
    assert!(
        after
            .dom
            .contains("400 No required SSL certificate was sent"),
        "{}",
        explain("removed", &after)
    );

    // Withdrawing the website trust makes Chromium refuse the site again.
    let untrusted =
        certdesk_store::untrust_server_ca(&target, &server_ca[0], None).expect("untrust");
    assert!(untrusted.was_trusted && untrusted.deleted, "{untrusted:?}");
    let refused = browser.dump_dom(&url).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !refused.dom.contains("400 No required") && !refused.dom.contains("hello "),
        "{}",
        explain("untrusted", &refused)
    );
}
