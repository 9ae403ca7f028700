//! Benchmark for SCEP enrollment: `certdesk enroll scep` beside micromdm's `scepclient` doing
//! the same enrollment (GetCACaps, GetCACert, PKCSReq, CertRep) against the same local
//! `scepserver` (certdesk_testkit::scep), in the same run. Both use an existing RSA-2048 key
//! (key generation is not timed). Prints median/min/max wall-clock milliseconds of whole
//! processes and the ratio. Figures only: nothing passes or fails.
//!
//! certdesk's figure includes unlocking the request's key from the wallet (a passphrase:
//! PBKDF2-SHA256, 600,000 rounds), storing the certificate and its history; scepclient reads
//! a plain PEM key and writes a PEM file.
//!
//! `CERTDESK_BIN` names the certdesk binary (scripts/bench.sh sets it); `CERTDESK_BENCH_RUNS`
//! sets the number of runs (default 11).

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use certdesk_testkit::scep::ScepServer;

const CHALLENGE: &str = "bench-challenge";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("certdesk-scep-bench: {e}");
            ExitCode::from(2)
        }
    }
}

fn output(cmd: &mut Command) -> Result<(Duration, String), String> {
    let started = Instant::now();
    let out = cmd
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .output()
        .map_err(|e| format!("could not run {cmd:?}: {e}"))?;
    let elapsed = started.elapsed();
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok((elapsed, String::from_utf8_lossy(&out.stdout).into_owned()))
}

fn stats(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    (ms(&v[v.len() / 2]), ms(&v[0]), ms(&v[v.len() - 1]))
}

fn certdesk(bin: &Path, home: &Path, pass: &Path) -> Command {
    let mut c = Command::new(bin);
    c.arg("--home")
        .arg(home)
        .arg("--passphrase-file")
        .arg(pass)
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .stdin(Stdio::null());
    c
}

fn run() -> Result<(), String> {
    let bin = std::env::var_os("CERTDESK_BIN")
        .map(std::path::PathBuf::from)
        .ok_or("set CERTDESK_BIN to the certdesk binary")?;
    let runs: usize = std::env::var("CERTDESK_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(11)
        .max(1);
    let server = ScepServer::start(CHALLENGE);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let home = dir.path().join("wallet");
    let pass = dir.path().join("pass");
    let challenge = dir.path().join("challenge");
    std::fs::write(&pass, "bench passphrase").map_err(|e| e.to_string())?;
    std::fs::write(&challenge, CHALLENGE).map_err(|e| e.to_string())?;
    // The requests (and scepclient's keys) are made before anything is timed.
    let mut ids = Vec::new();
    for i in 0..=runs {
        let (_, out) = output(
            certdesk(&bin, &home, &pass)
                .args(["--json", "request", "new", "--key", "rsa-2048", "--name"])
                .arg(format!("Bench {i}")),
        )?;
        let v: serde_json::Value = serde_json::from_str(&out).map_err(|e| e.to_string())?;
        ids.push(v["id"].as_str().ok_or("no id")?.to_string());
        let d = dir.path().join(format!("sc{i}"));
        std::fs::create_dir_all(&d).map_err(|e| e.to_string())?;
        output(
            Command::new("openssl")
                .args(["genrsa", "-traditional", "-out"])
                .arg(d.join("k.pem"))
                .arg("2048"),
        )?;
    }
    let url = server.url();
    let fp = server.ca_sha256().to_string();
    let fp_hex = fp.replace(':', "").to_ascii_lowercase();
    let ours = |i: usize| {
        output(
            certdesk(&bin, &home, &pass)
                .args(["enroll", "scep", &ids[i], "--url", &url, "--challenge-file"])
                .arg(&challenge)
                .args(["--ca-fingerprint", &fp]),
        )
        .map(|(d, _)| d)
    };
    let theirs = |i: usize| {
        let d = dir.path().join(format!("sc{i}"));
        output(
            Command::new("scepclient")
                .args(["-server-url", &url, "-challenge", CHALLENGE])
                .args(["-ca-fingerprint", &fp_hex, "-cn"])
                .arg(format!("Bench {i}"))
                .args(["-private-key", "k.pem", "-certificate", "c.pem"])
                .current_dir(&d),
        )
        .map(|(t, _)| t)
    };
    // One unrecorded warm-up each, then alternate so background load hits both alike.
    ours(runs)?;
    theirs(runs)?;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..runs {
        a.push(ours(i)?);
        b.push(theirs(i)?);
    }
    let (am, amin, amax) = stats(a);
    let (bm, bmin, bmax) = stats(b);
    println!("SCEP enrollment: certdesk enroll scep vs scepclient, micromdm scepserver on loopback, {runs} runs each");
    println!("(whole processes, wall-clock ms, median [min..max]; certdesk also unlocks the wallet key and stores the certificate)");
    println!("{:<20} {:>9}  {:>18}", "tool", "median", "[min..max]");
    println!(
        "{:<20} {:>9.1}  [{:.1}..{:.1}]",
        "certdesk enroll scep", am, amin, amax
    );
    println!(
        "{:<20} {:>9.1}  [{:.1}..{:.1}]",
        "scepclient", bm, bmin, bmax
    );
    println!(
        "ratio certdesk/scepclient: {:.2}; goal <= 1.0: {}\n",
        am / bm,
        if am <= bm { "MET" } else { "NOT MET" }
    );
    Ok(())
}
