//! What the wallet leaves on disk: private modes, no plaintext key in any form, and a state
//! that survives `certdesk` being killed at any moment (SIGKILL by PID, no chance to clean up).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::{arg, mode, openssl, read, Sandbox, EXPORT_PASSWORD, PASSPHRASE};
use base64::Engine as _;
use certdesk_testkit::{OpensslCa, SignOpts};
use serde_json::Value;

/// Every path under `dir` (not `dir` itself), depth first.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        out.push(path.clone());
        if fs::symlink_metadata(&path).expect("stat").is_dir() {
            walk(&path, out);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The private scalar of an EC key, from `openssl pkey -text` (`priv:` hex lines).
fn ec_private_scalar(key_pem: &Path) -> Vec<u8> {
    let text = openssl(&["pkey", "-in", arg(key_pem), "-noout", "-text"]);
    let mut hex = String::new();
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("priv:") {
            inside = true;
            continue;
        }
        if inside {
            if !t.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
                break;
            }
            hex.push_str(&t.replace(':', ""));
        }
    }
    assert!(hex.len() >= 64, "no private scalar in:\n{text}");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

fn no_plain_key_on_disk(key: &str) {
    let sb = Sandbox::new();
    let ca = OpensslCa::new("Safety");
    let id = sb.new_request("CN=Sam Safe,O=Example Corp", &["--key", key]);
    // A second identity that stays pending.
    let waiting = sb.new_request("CN=Wendy Waiting", &[]);
    let signed = ca.sign_csr(&sb.export_csr(&id), SignOpts::default());
    let reply = sb.file("reply.pem", &signed.full_chain_pem());
    sb.run(&["import", arg(&reply)]).ok();
    sb.export_p12_checked(&id, "modern");
    assert_eq!(sb.status(&waiting), "pending");

    // Modes.
    let wallet = sb.wallet();
    assert_eq!(mode(&wallet), 0o700, "{}", wallet.display());
    let mut paths = Vec::new();
    walk(&wallet, &mut paths);
    let files: Vec<&PathBuf> = paths.iter().filter(|p| p.is_file()).collect();
    assert!(
        files.len() >= 4,
        "expected a record and a key per identity: {paths:?}"
    );
    for path in &paths {
        let meta = fs::symlink_metadata(path).expect("stat");
        assert!(!meta.file_type().is_symlink(), "{}", path.display());
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(path), want, "mode of {}", path.display());
    }

    // No plaintext key in PEM form, and the key files are encrypted.
    let contents: Vec<(PathBuf, Vec<u8>)> = files.iter().map(|p| ((*p).clone(), read(p))).collect();
    for (path, bytes) in &contents {
        for marker in [
            "BEGIN PRIVATE KEY",
            "BEGIN RSA PRIVATE KEY",
            "BEGIN EC PRIVATE KEY",
        ] {
            assert!(
                !find(bytes, marker.as_bytes()),
                "{} contains {marker}",
                path.display()
            );
        }
        for secret in [PASSPHRASE, EXPORT_PASSWORD] {
            assert!(
                !find(bytes, secret.as_bytes()),
                "{} contains a password",
                path.display()
            );
        }
    }
    let encrypted_keys = contents
        .iter()
        .filter(|(_, b)| b.starts_with(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        .count();
    assert_eq!(encrypted_keys, 2, "one encrypted key per identity");

    // The key itself, exported without encryption on explicit request, is nowhere in the wallet.
    let key_out = sb.path("plain.key");
    let run = sb
        .run(&[
            "export",
            "pem",
            &id,
            "--cert-out",
            arg(&sb.path("chain.pem")),
            "--key-out",
            arg(&key_out),
            "--insecure-unencrypted-key",
        ])
        .ok();
    assert!(run.stdout.contains("UNENCRYPTED"), "{run}");
    assert_eq!(mode(&key_out), 0o600);
    let pem_text = String::from_utf8(read(&key_out)).expect("PEM");
    assert!(
        pem_text.starts_with("-----BEGIN PRIVATE KEY-----\n"),
        "{pem_text}"
    );
    let body: Vec<&str> = pem_text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.concat())
        .expect("PEM body is base64");
    assert_eq!(der.first(), Some(&0x30));
    // It is the certificate's key.
    let key_pub = openssl(&["pkey", "-in", arg(&key_out), "-pubout"]);
    let cert_pub = openssl(&[
        "x509",
        "-in",
        arg(&sb.path("chain.pem")),
        "-pubkey",
        "-noout",
    ]);
    assert_eq!(key_pub, cert_pub);
    let scalar = key.starts_with("ec-").then(|| ec_private_scalar(&key_out));
    for (path, bytes) in &contents {
        assert!(!find(bytes, &der), "{} holds the key's DER", path.display());
        for line in &body {
            assert!(
                !find(bytes, line.as_bytes()),
                "{} holds a line of the key's base64",
                path.display()
            );
        }
        if let Some(s) = &scalar {
            assert!(
                !find(bytes, s),
                "{} holds the private scalar",
                path.display()
            );
        }
    }
}

#[test]
fn no_plain_key_on_disk_ec_p256() {
    no_plain_key_on_disk("ec-p256");
}

#[test]
fn no_plain_key_on_disk_rsa_2048() {
    no_plain_key_on_disk("rsa-2048");
}

/// How one SIGKILL went.
#[derive(Debug, Default)]
struct Kills {
    total: usize,
    mid_run: usize,
}

/// Starts `args`, kills it by PID after `delay`, and reports whether it was still running.
fn start_and_kill(sb: &Sandbox, args: &[&str], delay: Duration) -> bool {
    let mut child = sb.spawn(args);
    std::thread::sleep(delay);
    let alive = child.try_wait().expect("try_wait").is_none();
    // SIGKILL to this PID; an already finished child makes this a no-op error.
    let _ = child.kill();
    let status = child.wait().expect("reap the child");
    // Either killed, or it finished on its own (possibly between the check and the signal):
    // then it must have succeeded.
    assert!(
        status.code().is_none() || status.success(),
        "{args:?} failed on its own: {status:?}"
    );
    alive
}

/// Uninterrupted duration of `args` (median of three), to aim the kills.
fn duration_of(sb: &Sandbox, args: &[&str]) -> Duration {
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            let start = Instant::now();
            sb.run(args).ok();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[1]
}

/// 40 delays spread from 0 to `span`, 20 more packed into the uninterrupted run time `took`
/// (so that a fast machine still sees kills land mid-run), plus a few longer ones.
fn delays(span: Duration, took: Duration) -> Vec<Duration> {
    let mut out: Vec<Duration> = (0..40u32).map(|i| span * i / 39).collect();
    out.extend((0..20u32).map(|i| took * i / 20));
    out.extend([span * 2, span * 3, Duration::from_millis(250)]);
    out
}

#[test]
fn killed_import_leaves_a_readable_wallet() {
    let sb = Sandbox::new();
    let ca = OpensslCa::with_intermediate("Crash");
    let id = sb.new_request("CN=Kim Killed", &[]);
    let signed = ca.sign_csr(&sb.export_csr(&id), SignOpts::default());
    let reply = sb.file("reply.pem", &signed.full_chain_pem());
    let args = ["import", arg(&reply)];

    // Calibrate on a scratch wallet so that the identity under test is still pending when the
    // kills start.
    let scratch = Sandbox::new();
    let scratch_id = scratch.new_request("CN=Kim Killed", &[]);
    let scratch_signed = ca.sign_csr(&scratch.export_csr(&scratch_id), SignOpts::default());
    let scratch_reply = scratch.file("reply.pem", &scratch_signed.full_chain_pem());
    let took = duration_of(&scratch, &["import", arg(&scratch_reply)]);
    let span = (took * 3 / 2).max(Duration::from_millis(60));

    let mut kills = Kills::default();
    let mut seen_issued = false;
    for delay in delays(span, took) {
        kills.total += 1;
        if start_and_kill(&sb, &args, delay) {
            kills.mid_run += 1;
        }
        // The wallet reads, the identity is there, and issued never falls back to pending.
        let status = sb.status(&id);
        match status.as_str() {
            "pending" => assert!(!seen_issued, "issued went back to pending"),
            "issued" => seen_issued = true,
            other => panic!("status {other}"),
        }
        let shown = sb.run(&["--json", "identity", "show", &id]).ok().json();
        assert_eq!(shown["summary"]["id"], id.as_str());
        if status == "issued" {
            assert_eq!(
                shown["chain_pem"].as_array().map(Vec::len),
                Some(2),
                "{shown}"
            );
        }
    }
    let leftovers = leftover_temp_files(&sb);
    println!(
        "import: {} of {} kills landed mid-run (uninterrupted run {took:?}, delays 0..{span:?}); {leftovers} temporary file(s) left behind",
        kills.mid_run, kills.total
    );
    assert!(
        kills.mid_run >= 3,
        "too few kills landed mid-run: {kills:?}"
    );

    // The key still unlocks.
    sb.run(&["import", arg(&reply)]).ok();
    assert_eq!(sb.status(&id), "issued");
    sb.export_p12_checked(&id, "modern");
}

fn leftover_temp_files(sb: &Sandbox) -> usize {
    let mut paths = Vec::new();
    walk(&sb.wallet(), &mut paths);
    paths
        .iter()
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                (n.starts_with('.') && n.ends_with(".tmp")) || n.starts_with(".new-")
            })
        })
        .count()
}

#[test]
fn killed_request_new_leaves_a_readable_wallet() {
    let sb = Sandbox::new();
    let ca = OpensslCa::new("Crash");
    let first = sb.new_request("CN=Pia Pending", &[]);
    let args = ["request", "new", "--subject", "CN=Kurt Killed"];

    let scratch = Sandbox::new();
    let took = duration_of(&scratch, &args);
    let span = (took * 6 / 5).max(Duration::from_millis(60));

    let mut kills = Kills::default();
    for delay in delays(span, took) {
        kills.total += 1;
        if start_and_kill(&sb, &args, delay) {
            kills.mid_run += 1;
        }
        let list = sb.list();
        let pia: Vec<&Value> = list.iter().filter(|i| i["id"] == first.as_str()).collect();
        assert_eq!(pia.len(), 1, "{list:?}");
        assert_eq!(pia[0]["status"], "pending");
        for identity in &list {
            assert!(
                identity["label"] == "Pia Pending" || identity["label"] == "Kurt Killed",
                "{identity}"
            );
        }
    }
    let leftovers = leftover_temp_files(&sb);
    let list = sb.list();
    println!(
        "request new: {} of {} kills landed mid-run (uninterrupted run {took:?}, delays 0..{span:?}); {} identities completed; {leftovers} temporary file(s) or staging directories left behind",
        kills.mid_run,
        kills.total,
        list.len() - 1
    );
    assert!(
        kills.mid_run >= 3,
        "too few kills landed mid-run: {kills:?}"
    );

    // Every identity that became visible is whole: its key file decrypts with the passphrase
    // and holds the public key of its record (layout documented in wallet.rs).
    let ids: BTreeSet<String> = list
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect();
    let passin = format!("file:{}", arg(sb.passphrase_file()));
    for id in &ids {
        let dir = sb.wallet().join("identities").join(id);
        let record: Value =
            serde_json::from_slice(&read(&dir.join("identity.json"))).expect("record is JSON");
        let public_der = base64::engine::general_purpose::STANDARD
            .decode(record["public_key"].as_str().expect("public_key"))
            .expect("base64");
        let pub_path = sb.path(&format!("{id}.pub.der"));
        openssl(&[
            "pkey",
            "-in",
            arg(&dir.join("key.pem")),
            "-passin",
            &passin,
            "-pubout",
            "-outform",
            "DER",
            "-out",
            arg(&pub_path),
        ]);
        assert_eq!(read(&pub_path), public_der, "key of {id}");
    }

    // The first identity's key still works end to end.
    let signed = ca.sign_csr(&sb.export_csr(&first), SignOpts::default());
    let reply = sb.file("reply.pem", &signed.full_chain_pem());
    sb.run(&["import", arg(&reply)]).ok();
    sb.export_p12_checked(&first, "modern");
}

/// Issue #12: two processes could read the same `identity.json`, change it and write it back,
/// and the later write dropped what the earlier one stored. Eight `certdesk import` processes
/// at once, each with another certificate for the same key (a renewal race), must leave all
/// eight in the record: one current, seven in its history. Without the wallet lock this lost
/// certificates: the previous binary kept 2 and 3 of 8 in two runs.
#[test]
fn concurrent_imports_into_one_identity_lose_no_certificate() {
    const N: usize = 8;
    let sb = Sandbox::new();
    let ca = OpensslCa::new("Concurrent");
    let id = sb.new_request("CN=Connie Current,O=Example Corp", &[]);
    let csr = sb.export_csr(&id);
    let replies: Vec<(PathBuf, Vec<u8>)> = (0..N)
        .map(|k| {
            let signed = ca.sign_csr(&csr, SignOpts::default());
            let path = sb.file(&format!("reply-{k}.pem"), &signed.full_chain_pem());
            (path, signed.cert_der)
        })
        .collect();
    let children: Vec<_> = replies
        .iter()
        .map(|(path, _)| sb.spawn(&["import", arg(path), "--identity", &id]))
        .collect();
    for mut child in children {
        let status = child.wait().expect("wait for certdesk import");
        assert!(status.success(), "an import failed: {status}");
    }
    let record: Value = serde_json::from_slice(&sb.record_bytes(&id)).expect("the record reads");
    let mut kept: Vec<String> = record["previous_certificates"]
        .as_array()
        .expect("previous_certificates")
        .iter()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    kept.push(
        record["certificate_pem"]
            .as_str()
            .expect("a current certificate")
            .to_string(),
    );
    let kept: BTreeSet<Vec<u8>> = kept
        .iter()
        .map(|pem| {
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .expect("base64")
        })
        .collect();
    let issued: BTreeSet<Vec<u8>> = replies.into_iter().map(|(_, der)| der).collect();
    assert_eq!(
        kept.len(),
        N,
        "{} of {N} certificates kept after concurrent imports",
        kept.len()
    );
    assert_eq!(kept, issued);
}
