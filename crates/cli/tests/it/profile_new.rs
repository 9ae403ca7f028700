//! `certdesk profile new` (issue #16) against the practice CA and the test EST server: the
//! profile validates, pins the right fingerprint, its link's sha256 is the file's, and the QR
//! code decodes (with zbarimg, from Debian's zbar-tools) to the link.

use std::process::Command;

use certdesk_testkit::est::{EstCase, EstServer};
use certdesk_testkit::OpensslCa;

use crate::common::{arg, openssl, practice_serve, Sandbox};

const PUBLISH: &str = "https://help.example.org/profiles/practice%20desk.certdesk";

/// SHA-256 of a file, by `openssl dgst` (upper-case hex, no colons).
fn file_sha256(path: &std::path::Path) -> String {
    let out = openssl(&["dgst", "-sha256", "-r", arg(path)]);
    out.split_whitespace()
        .next()
        .expect("digest")
        .to_ascii_uppercase()
}

/// What zbarimg reads in an image (the QR code's text).
fn zbarimg(path: &std::path::Path) -> String {
    let out = Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(path)
        .output()
        .expect("zbarimg (zbar-tools)");
    assert!(
        out.status.success(),
        "zbarimg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_profile_for_the_practice_ca_pins_its_fingerprint_links_to_its_sha256_and_enrolls() {
    let server_sb = Sandbox::new();
    let (guard, info) = practice_serve(&server_sb, &[]);
    let est_url = info["est_url"].as_str().expect("est_url");
    let site_url = info["site_url"].as_str().expect("site_url");
    let fp = info["ca_sha256"].as_str().expect("ca_sha256");
    let sb = Sandbox::new();
    let out = sb.path("practice.certdesk");
    let base = [
        "profile",
        "new",
        "--name",
        "Practice desk",
        "--contact",
        "helpdesk@example.org",
        "--est",
        est_url,
        "--site",
        site_url,
        "--user",
        "practice",
        "--out",
        arg(&out),
    ];

    // Not trusted yet: the CA's subject and SHA-256 are shown for the help desk to confirm,
    // and nothing is written.
    let untrusted = sb.run(&base).exit(2);
    assert!(untrusted.stderr.contains(fp), "{untrusted}");
    assert!(
        untrusted.stderr.contains("certdesk Practice CA"),
        "{untrusted}"
    );
    assert!(
        untrusted.stderr.contains("--trust-fingerprint"),
        "{untrusted}"
    );
    assert!(!out.exists());

    // Confirmed: pinned, linked, drawn.
    let png = sb.path("practice.png");
    let svg = sb.path("practice.svg");
    let mut args = base.to_vec();
    args.extend([
        "--trust-fingerprint",
        fp,
        "--org",
        "Example Corp",
        "--publish-url",
        PUBLISH,
        "--qr",
        arg(&png),
    ]);
    let mut json_args = vec!["--json"];
    json_args.extend(&args);
    let made = sb.run(&json_args).ok().json();
    assert_eq!(made["pinned"]["sha256"], fp, "{made}");
    assert_eq!(made["issuing_cas"][0]["sha256"], fp, "{made}");
    // The pin is the practice CA's certificate as openssl fingerprints it.
    let ca_file = info["ca_file"].as_str().expect("ca_file");
    let openssl_fp = openssl(&["x509", "-noout", "-fingerprint", "-sha256", "-in", ca_file]);
    assert!(openssl_fp.trim().ends_with(fp), "{openssl_fp}");

    // The file passes the checker, and says what was asked.
    let checked = sb
        .run(&["--json", "profile", "check", arg(&out)])
        .ok()
        .json();
    let text = std::fs::read_to_string(&out).expect("profile");
    assert!(text.contains(&format!("ca_sha256 = \"{fp}\"")), "{text}");
    assert!(
        text.contains("support = \"helpdesk@example.org\""),
        "{text}"
    );
    assert!(text.contains("organization = \"Example Corp\""), "{text}");
    assert!(text.contains(&format!("url = \"{site_url}\"")), "{text}");
    assert!(checked.to_string().contains("Practice desk"), "{checked}");

    // The link's sha256 is the file's (openssl dgst), and the link reads back to PUBLISH.
    let link = made["link"].as_str().expect("link");
    let sha = file_sha256(&out);
    assert!(link.ends_with(&format!("&sha256={sha}")), "{link} vs {sha}");
    assert!(link.starts_with("certdesk://profile?url=https%3A%2F%2Fhelp.example.org%2Fprofiles%2Fpractice%2520desk.certdesk"), "{link}");
    // The QR code decodes to the link (zbarimg), as PNG and as SVG.
    assert_eq!(zbarimg(&png), link);
    let mut svg_args = args.clone();
    let last = svg_args.len() - 1;
    svg_args[last] = arg(&svg);
    sb.run(&svg_args).ok();
    // The SVG, rasterised by librsvg (rsvg-convert), decodes to the same link.
    let svg_png = sb.path("from-svg.png");
    let rendered = Command::new("rsvg-convert")
        .args(["-b", "white", "-o"])
        .arg(&svg_png)
        .arg(&svg)
        .status()
        .expect("rsvg-convert (librsvg2-bin)");
    assert!(rendered.success());
    assert_eq!(zbarimg(&svg_png), link);

    // A user enrolls with it: the profile works as written.
    let created = sb
        .run(&[
            "--json",
            "request",
            "new",
            "--profile",
            arg(&out),
            "--name",
            "Pat Profile",
        ])
        .ok()
        .json();
    let id = created["id"].as_str().expect("id").to_string();
    let code = info["enrollment_code_file"].as_str().expect("code");
    sb.run(&["enroll", "est", &id, "--password-file", code])
        .ok();
    assert_eq!(sb.status(&id), "issued");
    drop(guard);
}

#[test]
fn a_profile_for_an_est_server_we_did_not_write_takes_the_key_type_it_asks_for() {
    let ca = OpensslCa::new("ProfileNew");
    let est = EstServer::start(&ca, "alice", "one-time-7Qx2");
    let sb = Sandbox::new();
    let out = sb.path("staff.certdesk");
    let base = est.url_for(EstCase::WantP384);
    let base = base.trim_end_matches("/wantp384");
    let made = sb
        .run(&[
            "--json",
            "profile",
            "new",
            "--name",
            "Staff",
            "--contact",
            "+1 555 0100",
            "--est",
            base,
            "--label",
            "wantp384",
            "--ca-file",
            arg(&est.server_ca_path()),
            "--out",
            arg(&out),
        ])
        .ok()
        .json();
    // The server's CA file is pinned by its SHA-256 (as openssl prints it).
    assert_eq!(made["pinned"]["sha256"], est.server_ca_sha256(), "{made}");
    assert_eq!(made["key_wish"], "ec-p384", "{made}");
    assert!(made["link"].is_null(), "no --publish-url, no link: {made}");
    let text = std::fs::read_to_string(&out).expect("profile");
    assert!(text.contains("allowed_keys = [\"ec-p384\"]"), "{text}");
    assert!(text.contains("label = \"wantp384\""), "{text}");
    sb.run(&["profile", "check", arg(&out)]).ok();
}

#[test]
fn scep_and_a_qr_code_without_an_address_are_refused_with_a_reason() {
    let sb = Sandbox::new();
    let out = sb.path("x.certdesk");
    let scep = sb
        .run(&[
            "profile",
            "new",
            "--name",
            "X",
            "--contact",
            "Y",
            "--scep",
            "https://scep.example.org/",
            "--out",
            arg(&out),
        ])
        .exit(2);
    assert!(scep.stderr.contains("not written yet"), "{scep}");
    let qr = sb
        .run(&[
            "profile",
            "new",
            "--name",
            "X",
            "--contact",
            "Y",
            "--est",
            "https://est.example.org/",
            "--out",
            arg(&out),
            "--qr",
            "x.png",
        ])
        .exit(2);
    assert!(qr.stderr.contains("--publish-url"), "{qr}");
    let http = sb
        .run(&[
            "profile",
            "new",
            "--name",
            "X",
            "--contact",
            "Y",
            "--est",
            "http://est.example.org/",
            "--out",
            arg(&out),
        ])
        .exit(2);
    assert!(http.stderr.contains("https://"), "{http}");
    assert!(!out.exists());
}
