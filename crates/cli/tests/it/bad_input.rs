//! Wrong files, wrong passwords and wrong subjects: each is refused with its own message (the
//! exact `error:` line of certdesk-core's error.rs), exit code 2, and leaves the waiting identity
//! exactly as it was, its key still usable. Problems a server might object to but that do not
//! make the certificate unusable are accepted with a `warning:`.

use crate::common;
use std::path::PathBuf;

use crate::common::{arg, openssl, read, warning_codes, Run, Sandbox};
use certdesk_testkit::{openssl_pkcs12_export, OpensslCa, OpensslP12Profile, SignOpts, SignedCert};

const NO_MATCH_HINT: &str = "this certificate was made for a key that is not on this computer; check that you received the reply to the request created here (`certdesk identity list` shows what is waiting)";
const KEY_HINT: &str = "a private key file is not a certificate; never send or import someone else's private key: import the certificate the issuer sent you";
const TRUNCATED_HINT: &str =
    "the file is incomplete: download it again or ask for it to be re-sent as an attachment";

/// A wallet with one waiting identity, the CA that will sign it and its correct certificate.
struct Waiting {
    sb: Sandbox,
    ca: OpensslCa,
    id: String,
    signed: SignedCert,
    record: Vec<u8>,
}

impl Waiting {
    fn new() -> Waiting {
        let sb = Sandbox::new();
        let ca = OpensslCa::with_intermediate("Bad");
        let id = sb.new_request("CN=Pat Pending,O=Example Corp", &[]);
        let csr = sb.export_csr(&id);
        let signed = ca.sign_csr(&csr, SignOpts::default());
        let record = sb.record_bytes(&id);
        Waiting {
            sb,
            ca,
            id,
            signed,
            record,
        }
    }

    /// Writes `bytes` to `name` and runs `import FILE ARGS…`.
    fn import(&self, name: &str, bytes: &[u8], args: &[&str]) -> (PathBuf, Run) {
        let path = self.sb.file(name, bytes);
        let mut all = vec!["import", arg(&path)];
        all.extend_from_slice(args);
        let run = self.sb.run(&all);
        (path, run)
    }

    /// The refusal changed nothing: still pending, record byte-for-byte the same, and the
    /// identity still refuses exports for want of a certificate (not for a damaged key).
    #[track_caller]
    fn assert_untouched(&self) {
        assert_eq!(self.sb.status(&self.id), "pending");
        assert_eq!(self.sb.list().len(), 1, "no identity was added");
        assert!(
            self.sb.record_bytes(&self.id) == self.record,
            "the refusal rewrote the identity record"
        );
        let pw = self.sb.secret_file(
            &format!("untouched-pw-{}", common::unique()),
            "key-export-pw-7",
        );
        let run = self.sb.run(&[
            "export",
            "pem",
            &self.id,
            "--cert-out",
            arg(&self.sb.path("untouched-chain.pem")),
            "--key-out",
            arg(&self.sb.path("untouched-key.pem")),
            "--password-file",
            arg(&pw),
        ]);
        assert_eq!(
            run.error(),
            format!(
                "identity {} has no certificate yet (it is waiting for one)",
                self.id
            )
        );
        assert_eq!(
            run.hint(),
            "import the certificate you received for this request first (`certdesk import FILE`)"
        );
        assert!(!self.sb.path("untouched-key.pem").exists());
    }

    /// The key is intact: the right certificate imports and a .p12 that OpenSSL reads comes out.
    #[track_caller]
    fn assert_key_intact(&self) {
        let (_, run) = self.import("right.pem", &self.signed.full_chain_pem(), &[]);
        let run = run.ok();
        assert!(
            run.stdout.starts_with(&format!(
                "Imported the certificate for Pat Pending ({})",
                self.id
            )),
            "{run}"
        );
        assert_eq!(self.sb.status(&self.id), "issued");
        self.sb.export_p12_checked(&self.id, "modern");
    }

    /// Refused, untouched, and the key still works.
    #[track_caller]
    fn assert_refused(&self, run: &Run, error: &str, hint: &str) {
        assert_eq!(run.error(), error, "{run}");
        assert_eq!(run.hint(), hint, "{run}");
        self.assert_untouched();
        self.assert_key_intact();
    }
}

// ---------------------------------------------------------------------------------------------
// Certificates for someone else's key

#[test]
fn certificate_for_a_key_we_do_not_hold() {
    let w = Waiting::new();
    let stranger = w.ca.issue_client_identity("Stranger", SignOpts::default());
    let (path, run) = w.import("stranger.pem", &stranger.cert.full_chain_pem(), &[]);
    w.assert_refused(
        &run,
        &format!(
            "no waiting request in this wallet holds the key for CN=Stranger (in {})",
            path.display()
        ),
        NO_MATCH_HINT,
    );
}

#[test]
fn certificate_for_a_key_we_do_not_hold_named_identity() {
    let w = Waiting::new();
    let stranger = w.ca.issue_client_identity("Stranger", SignOpts::default());
    // A unique prefix names the identity; the message gives its full id.
    let prefix = &w.id[..6];
    let (_, run) = w.import(
        "stranger.pem",
        &stranger.cert.full_chain_pem(),
        &["--identity", prefix],
    );
    w.assert_refused(
        &run,
        &format!(
            "the certificate for CN=Stranger does not match the key of identity {}",
            w.id
        ),
        "import it without naming an identity to let certdesk find the matching request, or ask the issuer whether they signed the right request",
    );
}

// ---------------------------------------------------------------------------------------------
// Files that are not certificates

#[test]
fn private_key_pem() {
    let w = Waiting::new();
    let stranger = w.ca.issue_client_identity("Stranger", SignOpts::default());
    // The traditional `EC PRIVATE KEY` form is a private key too.
    let pkcs8 = w.sb.file("stranger-pkcs8.pem", &stranger.key_pem);
    let traditional = w.sb.path("stranger-ec.pem");
    openssl(&["ec", "-in", arg(&pkcs8), "-out", arg(&traditional)]);
    let ec_pem = read(&traditional);
    assert!(ec_pem.starts_with(b"-----BEGIN EC PRIVATE KEY-----"));
    let (path, run) = w.import("stranger-ec.key", &ec_pem, &[]);
    assert_eq!(
        run.error(),
        format!(
            "expected a CERTIFICATE, found a PRIVATE KEY in {}",
            path.display()
        )
    );
    assert_eq!(run.hint(), KEY_HINT);
    let (path, run) = w.import("stranger.key", &stranger.key_pem, &[]);
    w.assert_refused(
        &run,
        &format!(
            "expected a CERTIFICATE, found a PRIVATE KEY in {}",
            path.display()
        ),
        KEY_HINT,
    );
}

/// Converts the stranger's PEM key with `openssl ARGS… -in KEY -outform DER` and imports it.
fn import_der_key(w: &Waiting, name: &str, convert: &[&str]) -> (PathBuf, Run) {
    let stranger = w.ca.issue_client_identity("Stranger", SignOpts::default());
    let pem = w.sb.file(&format!("{name}.pem"), &stranger.key_pem);
    let der_path = w.sb.path(&format!("{name}.converted"));
    let mut args = convert.to_vec();
    args.extend_from_slice(&["-in", arg(&pem), "-outform", "DER", "-out", arg(&der_path)]);
    openssl(&args);
    w.import(name, &read(&der_path), &[])
}

#[test]
fn private_key_der_pkcs8() {
    let w = Waiting::new();
    let (path, run) = import_der_key(&w, "stranger-pkcs8.der", &["pkcs8", "-topk8", "-nocrypt"]);
    w.assert_refused(
        &run,
        &format!(
            "expected a CERTIFICATE, found a PRIVATE KEY in {}",
            path.display()
        ),
        KEY_HINT,
    );
}

/// `openssl pkey -outform DER` writes an EC key as SEC1 `ECPrivateKey`, the form most `.key`
/// DER files have; encoding.rs documents SEC1 and PKCS#1 keys as recognised.
#[test]
fn private_key_der_sec1() {
    let w = Waiting::new();
    let (path, run) = import_der_key(&w, "stranger-sec1.der", &["pkey"]);
    w.assert_refused(
        &run,
        &format!(
            "expected a CERTIFICATE, found a PRIVATE KEY in {}",
            path.display()
        ),
        KEY_HINT,
    );
}

#[test]
fn html_login_page_is_quoted_by_its_title() {
    let w = Waiting::new();
    let page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  <title>\n    Sign in \u{2013} Example PKI Portal\n  </title>\n</head>\n<body><form method=\"post\"><input name=\"user\"></form></body>\n</html>\n";
    let (path, run) = w.import("certificate.cer", page.as_bytes(), &[]);
    w.assert_refused(
        &run,
        &format!(
            "expected a certificate, found an HTML page titled \"Sign in \u{2013} Example PKI Portal\" in {}",
            path.display()
        ),
        "the download gave a web page (often a login or error page): open the portal in a browser, sign in, and download the certificate file itself",
    );
}

#[test]
fn html_page_without_title() {
    let w = Waiting::new();
    let (path, run) = w.import(
        "download.crt",
        b"<html><body><h1>502 Bad Gateway</h1></body></html>\n",
        &[],
    );
    w.assert_refused(
        &run,
        &format!("expected a certificate, found an HTML page in {}", path.display()),
        "the download gave a web page (often a login or error page): open the portal in a browser, sign in, and download the certificate file itself",
    );
}

#[test]
fn empty_file() {
    let w = Waiting::new();
    let hint = "the file has no content: download or save the certificate again";
    let (path, run) = w.import("empty.pem", b"", &[]);
    assert_eq!(run.error(), format!("{} is empty", path.display()));
    assert_eq!(run.hint(), hint);
    let (path, run) = w.import("blank.pem", b"\r\n  \n\t\n", &[]);
    w.assert_refused(&run, &format!("{} is empty", path.display()), hint);
}

#[test]
fn truncated_pem() {
    let w = Waiting::new();
    let full = w.signed.full_chain_pem();
    // Cut in the middle of the leaf: BEGIN without END.
    let cut = &full[..w.signed.cert_pem.len() / 2];
    let (path, run) = w.import("cut.pem", cut, &[]);
    assert_eq!(
        run.error(),
        format!(
            "{} is cut off: a PEM block has a BEGIN line but no END line",
            path.display()
        )
    );
    assert_eq!(run.hint(), TRUNCATED_HINT);
    // Lines lost in the middle of the leaf's body: the armour is whole, the DER is not.
    let text = String::from_utf8(w.signed.cert_pem.clone()).expect("PEM");
    let lines: Vec<&str> = text.lines().collect();
    let mut damaged: Vec<&str> = lines[..3].to_vec();
    damaged.extend_from_slice(&lines[6..]);
    let (path, run) = w.import("gap.pem", (damaged.join("\n") + "\n").as_bytes(), &[]);
    let message = run.error();
    assert!(
        message.starts_with(&format!("{} is cut off: it announces ", path.display())),
        "{run}"
    );
    w.assert_refused(&run, &message, TRUNCATED_HINT);
}

#[test]
fn truncated_der() {
    let w = Waiting::new();
    let der = &w.signed.cert_der;
    let half = der.len() / 2;
    let (path, run) = w.import("cut.cer", &der[..half], &[]);
    w.assert_refused(
        &run,
        &format!(
            "{} is cut off: it announces {} bytes but holds {half}",
            path.display(),
            der.len()
        ),
        TRUNCATED_HINT,
    );
}

#[test]
fn request_instead_of_certificate() {
    let w = Waiting::new();
    let hint =
        "this is the request you send to the issuer; import the certificate they send back instead";
    let csr = w.sb.export_csr(&w.id);
    let (path, run) = w.import("request.pem", &csr, &[]);
    assert_eq!(
        run.error(),
        format!(
            "expected a CERTIFICATE, found a CERTIFICATE REQUEST in {}",
            path.display()
        )
    );
    assert_eq!(run.hint(), hint);
    let der_path = w.sb.path("request.der");
    w.sb.run(&[
        "request",
        "export",
        &w.id,
        "--out",
        arg(&der_path),
        "--format",
        "der",
    ])
    .ok();
    let (path, run) = w.import("request.cer", &read(&der_path), &[]);
    w.assert_refused(
        &run,
        &format!(
            "expected a CERTIFICATE, found a CERTIFICATE REQUEST in {}",
            path.display()
        ),
        hint,
    );
}

fn stranger_p12(w: &Waiting, password: &str) -> Vec<u8> {
    let stranger = w.ca.issue_client_identity("Stranger", SignOpts::default());
    openssl_pkcs12_export(
        &stranger.key_pem,
        &stranger.cert.cert_pem,
        Some(&stranger.cert.chain_pem),
        Some("Stranger"),
        password,
        OpensslP12Profile::Modern,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn pkcs12_without_password_file() {
    let w = Waiting::new();
    let p12 = stranger_p12(&w, "p12-password");
    let (path, run) = w.import("stranger.p12", &p12, &[]);
    w.assert_refused(
        &run,
        &format!(
            "expected a CERTIFICATE, found a PKCS#12 file (certificate with private key) in {}",
            path.display()
        ),
        "to bring in a .p12/.pfx file, give its password with --password-file",
    );
}

#[test]
fn pkcs12_with_wrong_password() {
    let w = Waiting::new();
    let p12 = stranger_p12(&w, "p12-password");
    let wrong = w.sb.secret_file("wrong-pw", "not-the-p12-password");
    let (path, run) = w.import("stranger.p12", &p12, &["--password-file", arg(&wrong)]);
    w.assert_refused(
        &run,
        &format!("wrong password for {}", path.display()),
        "check the password (it is case-sensitive); ask whoever gave you the file if you do not have it",
    );
    // The right password brings it in as a second, issued identity.
    let right = w.sb.secret_file("right-pw", "p12-password");
    let run =
        w.sb.run(&[
            "--json",
            "import",
            arg(&path),
            "--password-file",
            arg(&right),
        ])
        .ok();
    let imported = run.json();
    assert_eq!(imported["imported"], "pkcs12", "{run}");
    assert_eq!(imported["identity"]["label"], "Stranger", "{run}");
    assert_eq!(imported["identity"]["status"], "issued", "{run}");
    assert_eq!(w.sb.list().len(), 2);
}

#[test]
fn plain_text_letter() {
    let w = Waiting::new();
    let letter = "Dear Sir or Madam,\n\nplease find attached your certificate.\nKind regards,\nThe PKI team\n";
    let (path, run) = w.import("certificate.txt", letter.as_bytes(), &[]);
    w.assert_refused(
        &run,
        &format!(
            "{} is not a certificate, request, PKCS#7 or PKCS#12 file (it starts with \"Dear Sir or Madam,  please find attached\")",
            path.display()
        ),
        "ask the issuer for the certificate as a .pem, .cer/.crt or .p7b file",
    );
}

// ---------------------------------------------------------------------------------------------
// Accepted with a warning

/// Imports `bytes` (text, then again as JSON) and checks it was accepted with exactly the
/// warnings `codes`; returns the warning messages.
#[track_caller]
fn accepted_with(w: &Waiting, name: &str, bytes: &[u8], codes: &[&str]) -> Vec<String> {
    let (path, run) = w.import(name, bytes, &[]);
    let run = run.ok();
    assert!(
        run.stdout.starts_with(&format!(
            "Imported the certificate for Pat Pending ({})",
            w.id
        )),
        "{run}"
    );
    let warnings: Vec<String> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("warning: "))
        .map(str::to_string)
        .collect();
    assert_eq!(warnings.len(), codes.len(), "{run}");
    assert_eq!(w.sb.status(&w.id), "issued");

    let again = w.sb.run(&["--json", "import", arg(&path)]).ok();
    let outcome = again.json();
    assert_eq!(outcome["already_imported"], true, "{again}");
    assert_eq!(warning_codes(&outcome), codes, "{again}");
    let messages: Vec<&str> = outcome["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["message"].as_str().expect("message"))
        .collect();
    assert_eq!(messages, warnings, "text and JSON show the same warnings");

    let shown = w.sb.run(&["--json", "identity", "show", &w.id]).ok().json();
    let stored: Vec<&str> = shown["import_warnings"]
        .as_array()
        .expect("import_warnings")
        .iter()
        .map(|w| w["code"].as_str().expect("code"))
        .collect();
    assert_eq!(stored, codes, "identity show keeps the warnings");
    warnings
}

fn signed_with(w: &Waiting, opts: SignOpts) -> SignedCert {
    let csr = w.sb.export_csr(&w.id);
    w.ca.sign_csr(&csr, opts)
}

#[test]
fn warns_without_client_auth_eku() {
    let w = Waiting::new();
    let cert = signed_with(&w, SignOpts::without_client_auth());
    let warnings = accepted_with(
        &w,
        "server-only.pem",
        &cert.full_chain_pem(),
        &["no_client_auth_eku"],
    );
    assert_eq!(
        warnings,
        ["the certificate is not made for client authentication (it allows only: server authentication)"]
    );
}

#[test]
fn warns_when_expired() {
    let w = Waiting::new();
    let opts = SignOpts::expired();
    let until = opts.not_after.expect("expired() sets not_after").date();
    let cert = signed_with(&w, opts);
    let warnings = accepted_with(&w, "expired.pem", &cert.full_chain_pem(), &["expired"]);
    // Valid until yesterday: one day ago, in correct English.
    assert_eq!(
        warnings,
        [format!(
            "the certificate expired 1 day ago (valid until {until})"
        )]
    );
}

#[test]
fn warns_when_not_yet_valid() {
    let w = Waiting::new();
    let opts = SignOpts::not_yet_valid();
    let from = opts
        .not_before
        .expect("not_yet_valid() sets not_before")
        .date();
    let cert = signed_with(&w, opts);
    let warnings = accepted_with(&w, "future.pem", &cert.full_chain_pem(), &["not_yet_valid"]);
    assert_eq!(warnings.len(), 1);
    let message = &warnings[0];
    assert!(
        message.starts_with("the certificate is not valid yet")
            && message.ends_with(&format!("(from {from}); check the computer's clock")),
        "{message}"
    );
    // Valid from tomorrow, this time of day: not "later today".
    assert!(!message.contains("later today"), "{message}");
}

#[test]
fn warns_for_x509_v1() {
    let w = Waiting::new();
    // `openssl x509 -req` without any extension file makes a version 1 certificate.
    let dir = tempfile::tempdir().expect("tempdir");
    let d = |n: &str| dir.path().join(n);
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-noenc",
        "-keyout",
        arg(&d("ca.key")),
        "-out",
        arg(&d("ca.pem")),
        "-subj",
        "/CN=certdesk v1 test CA",
        "-days",
        "30",
    ]);
    let csr = w.sb.file("v1.csr", &w.sb.export_csr(&w.id));
    openssl(&[
        "x509",
        "-req",
        "-in",
        arg(&csr),
        "-CA",
        arg(&d("ca.pem")),
        "-CAkey",
        arg(&d("ca.key")),
        "-set_serial",
        "0x5001",
        "-days",
        "30",
        "-out",
        arg(&d("leaf.pem")),
    ]);
    let text = openssl(&["x509", "-in", arg(&d("leaf.pem")), "-noout", "-text"]);
    assert!(
        text.contains("Version: 1 (0x0)"),
        "not a v1 certificate:\n{text}"
    );
    assert!(
        !text.contains("X509v3"),
        "a v1 certificate has no extensions:\n{text}"
    );
    let mut bundle = read(&d("leaf.pem"));
    bundle.extend_from_slice(&read(&d("ca.pem")));
    let warnings = accepted_with(&w, "v1.pem", &bundle, &["x509_v1"]);
    assert_eq!(
        warnings,
        ["the certificate is X.509 version 1 without extensions; some servers refuse such certificates"]
    );
}

#[test]
fn warns_for_incomplete_chain() {
    let w = Waiting::new();
    let warnings = accepted_with(
        &w,
        "leaf-only.pem",
        &w.signed.cert_pem,
        &["incomplete_chain"],
    );
    assert_eq!(
        warnings,
        ["the file holds only your certificate, not the certificate of its issuer O=certdesk-testkit, CN=Bad Issuing CA; if a site refuses it, ask the issuer for the full chain and import that too"]
    );
    let shown = w.sb.run(&["--json", "identity", "show", &w.id]).ok().json();
    assert_eq!(
        shown["chain_pem"].as_array().map(Vec::len),
        Some(0),
        "{shown}"
    );
}

#[test]
fn warns_when_the_reply_also_holds_a_private_key() {
    let w = Waiting::new();
    let stranger = w.ca.issue_client_identity("Stranger", SignOpts::default());
    let mut bundle = stranger.key_pem.clone();
    bundle.extend_from_slice(&w.signed.full_chain_pem());
    let warnings = accepted_with(&w, "with-key.pem", &bundle, &["private_key_ignored"]);
    assert_eq!(
        warnings,
        ["the file also held a private key; certdesk ignored it (the key stays the one made on this computer)"]
    );
    // Our own key is the one exported.
    w.sb.export_p12_checked(&w.id, "modern");
}

// ---------------------------------------------------------------------------------------------
// Subjects, key types and passphrases refused before anything is written

/// `request new ARGS…` is refused with `error` (and `hint`), and the wallet stays empty.
#[track_caller]
fn request_refused(sb: &Sandbox, args: &[&str], error: &str, hint: &str) {
    let mut all = vec!["request", "new"];
    all.extend_from_slice(args);
    let run = sb.run(&all);
    assert_eq!(run.error(), error, "{run}");
    assert_eq!(run.hint(), hint, "{run}");
    assert!(sb.list().is_empty(), "a refused request left an identity");
}

const FIX_VALUE: &str = "correct the value and try again";

#[test]
fn country_must_be_two_letters() {
    let sb = Sandbox::new();
    request_refused(
        &sb,
        &["--subject", "CN=x,C=Germany"],
        "invalid C: must be two letters (ISO 3166), found \"Germany\"",
        "use the two-letter country code, for example DE, FR or US",
    );
}

#[test]
fn common_name_must_not_be_empty() {
    let sb = Sandbox::new();
    request_refused(
        &sb,
        &["--subject", "CN=,O=Example Corp"],
        "invalid CN: must not be empty: give your name",
        FIX_VALUE,
    );
    request_refused(
        &sb,
        &["--name", "   "],
        "invalid CN: must not be empty: give your name",
        FIX_VALUE,
    );
    request_refused(
        &sb,
        &["--subject", "O=Example Corp,C=DE"],
        "invalid CN: the subject needs a common name (CN=…)",
        FIX_VALUE,
    );
}

#[test]
fn common_name_of_65_characters() {
    let sb = Sandbox::new();
    let long = "A".repeat(65);
    request_refused(
        &sb,
        &["--subject", &format!("CN={long}")],
        "invalid CN: at most 64 characters (RFC 5280), found 65",
        FIX_VALUE,
    );
    // 64 is the limit, not beyond it.
    let id = sb.new_request(&format!("CN={}", "A".repeat(64)), &[]);
    assert_eq!(sb.status(&id), "pending");
}

#[test]
fn ed25519_is_not_offered() {
    let sb = Sandbox::new();
    let run = sb.run(&["request", "new", "--subject", "CN=x", "--key", "ed25519"]);
    assert_eq!(
        run.error(),
        "invalid value 'ed25519' for '--key <KEY>': invalid key type: expected one of ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096, found \"ed25519\"",
        "{run}"
    );
    assert!(sb.list().is_empty());
}

#[test]
fn passphrase_shorter_than_8_characters() {
    let sb = Sandbox::without_keyring_or_passphrase();
    let short = sb.secret_file("short", "7chars!\n");
    request_refused(
        &sb,
        &["--subject", "CN=x", "--passphrase-file", arg(&short)],
        "invalid passphrase: use at least 8 characters",
        FIX_VALUE,
    );
    let eight = sb.secret_file("eight", "8chars!!\n");
    let run = sb
        .run(&[
            "--json",
            "request",
            "new",
            "--subject",
            "CN=x",
            "--passphrase-file",
            arg(&eight),
        ])
        .ok();
    assert_eq!(sb.list().len(), 1, "{run}");
}

/// Issue #13: the flows decide whether a request can be sent (address, credentials) for both
/// front ends; the CLI words the fix with its flags. Nothing is sent and nothing changes.
#[test]
fn a_request_that_cannot_be_sent_as_asked_names_the_flag_that_fixes_it() {
    let w = Waiting::new();
    let no_address = w.sb.run(&["enroll", "est", &w.id]);
    assert!(
        no_address
            .error()
            .contains("the server's address is needed"),
        "{no_address}"
    );
    assert_eq!(
        no_address.hint(),
        "give --url with the enrollment address your help desk gave you"
    );

    let code = w.sb.secret_file("code.txt", "c0de");
    let token = w.sb.secret_file("token.txt", "t0ken");
    // A closed loopback port: had anything been sent, the error would be a connection error.
    let url = "https://127.0.0.1:9/submit";
    let no_code =
        w.sb.run(&["enroll", "portal", &w.id, "--url", url, "--user", "ada"]);
    assert_eq!(no_code.error(), "a user name needs its code or password");
    assert_eq!(
        no_code.hint(),
        "--user needs --password-file with the code or password"
    );
    let both = w.sb.run(&[
        "--json",
        "enroll",
        "portal",
        &w.id,
        "--url",
        url,
        "--password-file",
        arg(&code),
        "--token-file",
        arg(&token),
    ]);
    // clap refuses --token-file with --password-file before the flows see it; the flows'
    // own refusal of the pair is covered in certdesk-flows and the app.
    assert_ne!(both.code, Some(0), "{both}");
    let plain_http = w.sb.run(&[
        "--json",
        "enroll",
        "portal",
        &w.id,
        "--url",
        "http://127.0.0.1:9/submit",
        "--mode",
        "multipart",
    ]);
    assert_eq!(plain_http.code, Some(2), "{plain_http}");
    assert_eq!(
        plain_http.json()["error"]["kind"],
        "invalid_input",
        "{plain_http}"
    );
    w.assert_untouched();
}
