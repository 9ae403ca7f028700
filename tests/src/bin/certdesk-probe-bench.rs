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

#[allow(clippy::too_many_arguments)]
fn compare(
    certdesk: &std::path::Path,
    url: &str,
    dir: &tempfile::TempDir,
    files: &certdesk_testkit::IdentityFiles,
    ca: &std::path::Path,
    runs: usize,
    label: &str,
) -> Result<(), String> {
    let probe = || {
        let mut c = Command::new(certdesk);
        c.args(["--home"])
            .arg(dir.path().join("home"))
            .arg("probe")
            .arg(url)
            .arg("--cert")
            .arg(&files.full_chain)
            .arg("--key")
            .arg(&files.key)
            .arg("--ca-file")
            .arg(ca);
        time(&mut c)
    };
    let curl = || {
        let mut c = Command::new("curl");
        c.args(["-sS", "-f", "-o", "/dev/null", "--cacert"])
            .arg(ca)
            .arg("--cert")
            .arg(&files.full_chain)
            .arg("--key")
            .arg(&files.key)
            .arg(url);
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
    println!("Site check: certdesk probe vs curl --cert, nginx 'ssl_verify_client on' via {label}, {runs} runs each");
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
    println!(
        "ratio certdesk/curl: {:.2}; goal no slower than curl: {}\n",
        pm / cm,
        if pm <= cm { "MET" } else { "NOT MET" }
    );
    Ok(())
}

/// A TCP relay on 127.0.0.1 that delays every chunk by `one_way` in each direction, so that
/// data on loopback takes a round-trip time of twice that (the TCP handshake with the relay
/// is not delayed). Only for this
/// benchmark: the kernel here has no netem qdisc (`tc qdisc add dev lo root netem` says
/// "Specified qdisc kind is unknown").
struct DelayRelay {
    port: u16,
}

impl DelayRelay {
    fn start(upstream: u16, one_way: Duration) -> Result<DelayRelay, String> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        // The accept thread ends with the process (the benchmark's last step).
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                for (from, to) in [(&client, &server), (&server, &client)] {
                    if let (Ok(from), Ok(to)) = (from.try_clone(), to.try_clone()) {
                        pump(from, to, one_way);
                    }
                }
            }
        });
        Ok(DelayRelay { port })
    }
}

/// Copies `from` to `to`, each chunk `delay` after it arrived (a reader thread stamps chunks,
/// a writer thread sends them when due, so chunks are delayed, not serialised).
fn pump(mut from: std::net::TcpStream, mut to: std::net::TcpStream, delay: Duration) {
    use std::io::{Read, Write};
    let (tx, rx) = std::sync::mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0
                || tx
                    .send((Instant::now() + delay, buf[..n].to_vec()))
                    .is_err()
            {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        for (due, chunk) in rx {
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            if to.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
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

    // Loopback first, then through a relay that delays every chunk of data by half the
    // round-trip time each way. The relay accepts locally, so the TCP handshake itself is not
    // delayed: this models the two round trips of TLS and HTTP, not DNS and TCP setup, which
    // is where a real network would hide the fixed start-up cost (aws-lc seeding its
    // generator) that certdesk runs beside them.
    let rtt_ms: u64 = std::env::var("CERTDESK_BENCH_RTT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let relay = DelayRelay::start(server.port, Duration::from_millis(rtt_ms / 2))?;
    for (label, url) in [
        ("127.0.0.1 (loopback)".to_string(), server.url.clone()),
        (
            format!("a relay adding {rtt_ms} ms round trip"),
            format!("https://127.0.0.1:{}/", relay.port),
        ),
    ] {
        compare(&certdesk, &url, &dir, &files, &ca, runs, &label)?;
    }
    server.stop();
    Ok(())
}
