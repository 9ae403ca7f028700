//! Benchmark for the site check: `certdesk probe` beside `curl --cert` against the same local
//! nginx (client certificate required), in the same run. Prints median/min/max wall-clock
//! milliseconds of whole processes and the ratio. Figures only: nothing passes or fails.
//!
//! `CERTDESK_BIN` names the certdesk binary (scripts/bench.sh sets it); `CERTDESK_BENCH_RUNS`
//! sets the number of runs (default 21).

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use certdesk_testkit::servers::{fixture, NginxSpec, NginxVerify};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("certdesk-probe-bench: {e}");
            ExitCode::from(2)
        }
    }
}

fn time(cmd: &mut Command) -> Result<Duration, String> {
    let started = Instant::now();
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("could not run {cmd:?}: {e}"))?;
    let elapsed = started.elapsed();
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(elapsed)
}

fn stats(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    (ms(&v[v.len() / 2]), ms(&v[0]), ms(&v[v.len() - 1]))
}

fn run() -> Result<(), String> {
    let certdesk = PathBuf::from(
        std::env::var_os("CERTDESK_BIN").ok_or("set CERTDESK_BIN to the certdesk binary")?,
    );
    let runs: usize = std::env::var("CERTDESK_BENCH_RUNS")
        .ok()
        .map(|v| {
            v.parse()
                .map_err(|_| format!("CERTDESK_BENCH_RUNS={v} is not a number"))
        })
        .transpose()?
        .unwrap_or(21)
        .max(3);
    let pki = fixture::client_pki();
    let server = NginxSpec::new(&pki.ca_pem)
        .verify(NginxVerify::On)
        .try_start()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let files = pki.alice.write_to(dir.path(), "alice");
    let ca = server.server_ca_path();

    let probe = || {
        let mut c = Command::new(&certdesk);
        c.args(["--home"])
            .arg(dir.path().join("home"))
            .arg("probe")
            .arg(&server.url)
            .arg("--cert")
            .arg(&files.full_chain)
            .arg("--key")
            .arg(&files.key)
            .arg("--ca-file")
            .arg(&ca);
        time(&mut c)
    };
    let curl = || {
        let mut c = Command::new("curl");
        c.args(["-sS", "-f", "-o", "/dev/null", "--cacert"])
            .arg(&ca)
            .arg("--cert")
            .arg(&files.full_chain)
            .arg("--key")
            .arg(&files.key)
            .arg(&server.url);
        time(&mut c)
    };
    // One unrecorded warm-up each, then alternate so background load hits both alike.
    probe()?;
    curl()?;
    let (mut p, mut c) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        p.push(probe()?);
        c.push(curl()?);
    }
    let (pm, pmin, pmax) = stats(p);
    let (cm, cmin, cmax) = stats(c);
    println!("Site check: certdesk probe vs curl --cert, nginx 'ssl_verify_client on' on 127.0.0.1, {runs} runs each");
    println!("(whole processes, wall-clock ms, median [min..max]; certdesk also parses, checks locally and diagnoses)");
    println!("{:<16} {:>9}  {:>18}", "tool", "median", "[min..max]");
    println!(
        "{:<16} {:>9.1}  [{:.1}..{:.1}]",
        "certdesk probe", pm, pmin, pmax
    );
    println!(
        "{:<16} {:>9.1}  [{:.1}..{:.1}]",
        "curl --cert", cm, cmin, cmax
    );
    println!("ratio certdesk/curl: {:.2}", pm / cm);
    println!(
        "Goal: no slower than curl: {} (ratio {:.2})",
        if pm <= cm { "MET" } else { "NOT MET" },
        pm / cm
    );
    server.stop();
    Ok(())
}
