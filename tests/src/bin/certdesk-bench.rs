//! certdesk-bench: key generation and PKCS#12 export/import timed beside the `openssl` binary in
//! the same run. It prints figures; it never passes or fails on them (a slow or busy machine is
//! not a bug). Exit status is non-zero only when the benchmark itself could not run.
//!
//! Times are wall clock. certdesk runs in-process; every openssl measurement is a new process,
//! so openssl's start-up (median of `openssl version` runs) is reported and subtracted in a
//! second column. certdesk and openssl runs alternate, so background load hits both alike.
//!
//! Run counts: by default 31 for EC keys, 15 for RSA-2048/3072, 7 for RSA-4096 and 5 for each
//! PKCS#12 operation, each cut short (never below 3 runs) when its share of a time budget is
//! spent, so a slow machine gets fewer runs rather than a long wait. `CERTDESK_BENCH_RUNS=N`
//! sets every count exactly and turns the budget off. The figures also go to
//! `target/bench/bench.json` (next to the `debug`/`release` directory holding this binary).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use certdesk_core::csr::{build_csr, CsrSpec, SubjectSpec};
use certdesk_core::encoding::read_certificates;
use certdesk_core::key::{KeySpec, PrivateKey};
use certdesk_core::pkcs12::{export_pkcs12, import_pkcs12, P12Profile, P12Spec};
use certdesk_core::secret::SecretString;
use certdesk_testkit::{OpensslCa, PasswordFile, SignOpts};

const RUNS_ENV: &str = "CERTDESK_BENCH_RUNS";
const STARTUP_RUNS: usize = 31;
const P12_DEFAULT_RUNS: usize = 5;
/// Runs kept even when the time budget is spent.
const MIN_RUNS: usize = 3;
const FRIENDLY_NAME: &str = "certdesk bench";
const GOAL_RATIO: f64 = 0.5;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("certdesk-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let started = Instant::now();
    let runs_override = runs_override()?;
    let machine = Machine::probe()?;
    eprintln!(
        "certdesk-bench: {} CPU(s), load {}; progress below, table on stdout at the end",
        machine.cpus, machine.load_start
    );

    let startup = measure_startup()?;
    eprintln!("  openssl start-up: {} ms", fmt_ms(startup.median));

    let mut keygen = Vec::new();
    for spec in KeySpec::ALL {
        let plan = Plan::new(
            runs_override,
            default_keygen_runs(spec),
            keygen_budget_secs(spec),
        );
        eprintln!(
            "  key generation {spec}: up to {} run(s) each ...",
            plan.runs
        );
        keygen.push(bench_keygen(spec, plan, &startup)?);
    }

    let p12_plan = Plan::new(runs_override, P12_DEFAULT_RUNS, P12_BUDGET_SECS);
    let p12 = bench_pkcs12(p12_plan, &startup)?;

    let load_end = read_loadavg();
    let total = started.elapsed();
    let report = Report {
        machine,
        load_end,
        runs_override,
        startup,
        keygen,
        p12,
        total,
    };
    print!("{}", report.text());
    let json_path = json_path();
    write_json(&json_path, &report.json())?;
    println!("JSON: {}", json_path.display());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Configuration and machine

fn runs_override() -> Result<Option<usize>, String> {
    match std::env::var(RUNS_ENV) {
        Ok(v) if !v.trim().is_empty() => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(format!(
                "{RUNS_ENV} must be a whole number of at least 1, found \"{v}\""
            )),
        },
        _ => Ok(None),
    }
}

fn default_keygen_runs(spec: KeySpec) -> usize {
    match spec {
        KeySpec::EcP256 | KeySpec::EcP384 => 31,
        KeySpec::Rsa2048 | KeySpec::Rsa3072 => 15,
        KeySpec::Rsa4096 => 7,
    }
}

/// How many runs to make and when to stop early.
#[derive(Debug, Clone, Copy)]
struct Plan {
    runs: usize,
    /// Stop after [`MIN_RUNS`] once this much time went by; `None` with an explicit count.
    budget: Option<Duration>,
}

impl Plan {
    fn new(runs_override: Option<usize>, default_runs: usize, budget_secs: u64) -> Plan {
        match runs_override {
            Some(runs) => Plan { runs, budget: None },
            None => Plan {
                runs: default_runs,
                budget: Some(Duration::from_secs(budget_secs)),
            },
        }
    }

    /// Whether run number `done` (counting from 0) should still happen.
    fn go_on(&self, done: usize, started: Instant) -> bool {
        done < self.runs && (done < MIN_RUNS || self.budget.is_none_or(|b| started.elapsed() < b))
    }
}

/// Seconds of the default time budget per key type: about 2 minutes in all.
fn keygen_budget_secs(spec: KeySpec) -> u64 {
    match spec {
        KeySpec::EcP256 | KeySpec::EcP384 => 5,
        KeySpec::Rsa2048 => 10,
        KeySpec::Rsa3072 => 30,
        KeySpec::Rsa4096 => 40,
    }
}

/// Seconds of the default time budget per PKCS#12 operation and profile.
const P12_BUDGET_SECS: u64 = 20;

struct Machine {
    cpus: usize,
    cpu_model: String,
    load_start: String,
    openssl_version: String,
    build: &'static str,
    started_utc: String,
}

impl Machine {
    fn probe() -> Result<Machine, String> {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown (no model name in /proc/cpuinfo)".to_owned());
        let version = openssl(&["version"])
            .output()
            .map_err(|e| format!("cannot run openssl (is it installed?): {e}"))?;
        if !version.status.success() {
            return Err(format!("`openssl version` failed ({})", version.status));
        }
        let started_utc = certdesk_testkit::time::OffsetDateTime::now_utc()
            .format(&certdesk_testkit::time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| "unknown".to_owned());
        Ok(Machine {
            cpus,
            cpu_model,
            load_start: read_loadavg(),
            openssl_version: String::from_utf8_lossy(&version.stdout).trim().to_owned(),
            build: build_profile(),
            started_utc,
        })
    }
}

fn build_profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug (dev profile: aws-lc, the hash/cipher/KDF crates and certdesk-core at opt-level 2, everything else at opt-level 0; see Cargo.toml)"
    } else {
        "release (optimised)"
    }
}

/// The 1/5/15-minute load averages: the machine may be busy with other work.
fn read_loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

// ---------------------------------------------------------------------------------------------
// Measuring

/// Wall-clock samples of one operation, in milliseconds.
#[derive(Debug, Clone)]
struct Stats {
    samples_ms: Vec<f64>,
    median: f64,
    mean: f64,
    min: f64,
    max: f64,
}

impl Stats {
    fn new(samples: &[Duration]) -> Stats {
        let samples_ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        let mut sorted = samples_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Stats {
            median,
            mean: sorted.iter().sum::<f64>() / n as f64,
            min: sorted.first().copied().unwrap_or(f64::NAN),
            max: sorted.last().copied().unwrap_or(f64::NAN),
            samples_ms,
        }
    }

    fn cell(&self) -> String {
        format!(
            "{} [{}..{}]",
            fmt_ms(self.median),
            fmt_ms(self.min),
            fmt_ms(self.max)
        )
    }

    fn json(&self) -> Json {
        Json::Obj(vec![
            ("runs".into(), Json::Int(self.samples_ms.len() as u64)),
            ("median_ms".into(), Json::Num(self.median)),
            ("mean_ms".into(), Json::Num(self.mean)),
            ("min_ms".into(), Json::Num(self.min)),
            ("max_ms".into(), Json::Num(self.max)),
            (
                "samples_ms".into(),
                Json::Arr(self.samples_ms.iter().map(|&v| Json::Num(v)).collect()),
            ),
        ])
    }
}

/// certdesk beside openssl for one operation.
#[derive(Debug, Clone)]
struct Pair {
    certdesk: Stats,
    openssl: Stats,
    /// openssl's median minus the start-up median.
    openssl_adjusted: f64,
    /// The adjusted figure is smaller than the start-up's own spread (max - min): noise.
    adjusted_is_noise: bool,
}

impl Pair {
    fn new(certdesk: &[Duration], openssl: &[Duration], startup: &Stats) -> Pair {
        let openssl = Stats::new(openssl);
        Pair {
            certdesk: Stats::new(certdesk),
            openssl_adjusted: openssl.median - startup.median,
            adjusted_is_noise: openssl.median - startup.median < startup.max - startup.min,
            openssl,
        }
    }

    fn ratio_raw(&self) -> f64 {
        self.certdesk.median / self.openssl.median
    }

    /// certdesk / (openssl − start-up); `None` when openssl's time is all start-up.
    fn ratio_adjusted(&self) -> Option<f64> {
        (self.openssl_adjusted > 0.0).then(|| self.certdesk.median / self.openssl_adjusted)
    }

    fn json(&self) -> Vec<(String, Json)> {
        vec![
            ("certdesk".into(), self.certdesk.json()),
            ("openssl".into(), self.openssl.json()),
            (
                "openssl_minus_startup_median_ms".into(),
                Json::Num(self.openssl_adjusted),
            ),
            ("ratio_raw".into(), Json::Num(self.ratio_raw())),
            (
                "ratio_startup_adjusted".into(),
                self.ratio_adjusted().map_or(Json::Null, Json::Num),
            ),
            (
                "startup_adjusted_is_noise".into(),
                Json::Bool(self.adjusted_is_noise),
            ),
        ]
    }
}

fn openssl(args: &[&str]) -> Command {
    let mut cmd = Command::new("openssl");
    cmd.args(args).env("LC_ALL", "C").stdin(Stdio::null());
    cmd
}

/// Runs a command to completion and returns its wall-clock time; failure carries stderr.
fn time_command(cmd: &mut Command) -> Result<Duration, String> {
    let start = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    let elapsed = start.elapsed();
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(elapsed)
}

fn time_call<T>(f: impl FnOnce() -> Result<T, String>) -> Result<Duration, String> {
    let start = Instant::now();
    let value = f()?;
    let elapsed = start.elapsed();
    drop(value);
    Ok(elapsed)
}

fn measure_startup() -> Result<Stats, String> {
    time_command(&mut openssl(&["version"]))?; // warm-up: page cache, dynamic loader
    let samples = (0..STARTUP_RUNS)
        .map(|_| time_command(&mut openssl(&["version"])))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Stats::new(&samples))
}

// ---------------------------------------------------------------------------------------------
// Key generation

struct KeygenResult {
    spec: KeySpec,
    planned: usize,
    openssl_args: Vec<&'static str>,
    pair: Pair,
}

fn genpkey_args(spec: KeySpec) -> Vec<&'static str> {
    let algorithm: &[&'static str] = match spec {
        KeySpec::EcP256 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        KeySpec::EcP384 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        KeySpec::Rsa2048 => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        KeySpec::Rsa3072 => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
        KeySpec::Rsa4096 => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
    };
    let mut args = vec!["genpkey"];
    args.extend_from_slice(algorithm);
    args.extend_from_slice(&["-out", "/dev/null"]);
    args
}

fn bench_keygen(spec: KeySpec, plan: Plan, startup: &Stats) -> Result<KeygenResult, String> {
    let args = genpkey_args(spec);
    let certdesk_once = || {
        time_call(|| {
            let key = PrivateKey::generate(spec).map_err(|e| e.to_string())?;
            if key.spec() != spec {
                return Err(format!("asked for {spec}, got {}", key.spec()));
            }
            Ok(key)
        })
    };
    // One unrecorded run each: library initialisation, page cache.
    certdesk_once()?;
    time_command(&mut openssl(&args))?;
    let mut ours = Vec::with_capacity(plan.runs);
    let mut theirs = Vec::with_capacity(plan.runs);
    let started = Instant::now();
    while plan.go_on(ours.len(), started) {
        ours.push(certdesk_once()?);
        theirs.push(time_command(&mut openssl(&args))?);
    }
    Ok(KeygenResult {
        spec,
        planned: plan.runs,
        openssl_args: args,
        pair: Pair::new(&ours, &theirs, startup),
    })
}

// ---------------------------------------------------------------------------------------------
// PKCS#12

struct P12Result {
    profile: P12Profile,
    iterations: (u32, u32),
    openssl_export_args: Vec<String>,
    export: Pair,
    import: Pair,
    /// `openssl pkcs12 -info` of certdesk's file and of openssl's file.
    params_certdesk: Vec<String>,
    params_openssl: Vec<String>,
    mismatches: Vec<String>,
}

struct P12Bench {
    planned: usize,
    identity: String,
    results: Vec<P12Result>,
}

fn openssl_p12_algorithms(profile: P12Profile) -> (Vec<String>, Vec<String>) {
    let (enc_iter, mac_iter) = profile.iterations();
    let mut notes = Vec::new();
    let algs: &[&str] = match profile {
        P12Profile::Modern => &[
            "-keypbe",
            "AES-256-CBC",
            "-certpbe",
            "AES-256-CBC",
            "-macalg",
            "sha256",
        ],
        P12Profile::Compatible => &[
            "-keypbe",
            "PBE-SHA1-3DES",
            "-certpbe",
            "PBE-SHA1-3DES",
            "-macalg",
            "sha1",
        ],
    };
    let mut args: Vec<String> = algs.iter().map(|s| (*s).to_owned()).collect();
    // OpenSSL 3.0's `-iter` sets the encryption AND the MAC count; `-maciter` is a no-op kept
    // for compatibility. Encryption is matched; the MAC count differs when certdesk's does.
    args.extend(["-iter".to_owned(), enc_iter.to_string()]);
    if mac_iter != enc_iter {
        notes.push(format!(
            "MAC iterations: openssl {enc_iter} vs certdesk {mac_iter} (OpenSSL 3.0 `pkcs12 -iter` \
             sets encryption and MAC rounds together; `-maciter` is a no-op)"
        ));
    }
    (args, notes)
}

/// The algorithm lines `openssl pkcs12 -info` prints (MAC, encrypted certificates, key bag).
fn p12_info(path: &Path, pw: &PasswordFile) -> Result<Vec<String>, String> {
    let out = openssl(&["pkcs12", "-info", "-noout", "-in"])
        .arg(path)
        .arg("-passin")
        .arg(format!("file:{}", pw.path().display()))
        .output()
        .map_err(|e| format!("cannot run openssl pkcs12 -info: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        return Err(format!(
            "openssl pkcs12 -info could not read {}: {}",
            path.display(),
            text.trim()
        ));
    }
    Ok(text
        .lines()
        .filter(|l| {
            l.starts_with("MAC:")
                || l.starts_with("PKCS7 Encrypted data:")
                || l.starts_with("Shrouded Keybag:")
        })
        .map(str::to_owned)
        .collect())
}

fn bench_pkcs12(plan: Plan, startup: &Stats) -> Result<P12Bench, String> {
    eprintln!("  PKCS#12: building the identity with OpensslCa ...");
    let key = PrivateKey::generate(KeySpec::EcP256).map_err(|e| e.to_string())?;
    let csr = build_csr(
        &key,
        &CsrSpec {
            subject: SubjectSpec::with_common_name("certdesk bench"),
            ..CsrSpec::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let ca = OpensslCa::with_intermediate("certdesk bench");
    let signed = ca.sign_csr(csr.pem().as_bytes(), SignOpts::default());
    let (ca_certs, _, _) =
        read_certificates(&signed.chain_pem, "the CA chain").map_err(|e| e.to_string())?;
    let mut chain = vec![signed.cert_der.clone()];
    chain.extend(ca_certs);

    let dir = tempfile::Builder::new()
        .prefix("certdesk-bench-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let write = |name: &str, bytes: &[u8]| -> Result<PathBuf, String> {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    };
    let key_path = write("key.pem", key.insecure_pkcs8_pem().as_bytes())?;
    let cert_path = write("cert.pem", &signed.cert_pem)?;
    let chain_path = write("chain.pem", &signed.chain_pem)?;
    let password_text = "bench-password-4711";
    let password = SecretString::new(password_text);
    let pw_file = PasswordFile::new(password_text);
    let pw_arg = format!("file:{}", pw_file.path().display());

    let mut results = Vec::new();
    for profile in [P12Profile::Modern, P12Profile::Compatible] {
        let iterations = profile.iterations();
        eprintln!(
            "  PKCS#12 {} (iterations {}/{}): up to {} run(s) each of export and import ...",
            profile.as_str(),
            iterations.0,
            iterations.1,
            plan.runs
        );
        let spec = P12Spec {
            key: &key,
            chain: &chain,
            friendly_name: FRIENDLY_NAME,
            password: &password,
            profile,
        };
        let (algs, mut mismatches) = openssl_p12_algorithms(profile);
        let ours_p12 = dir
            .path()
            .join(format!("certdesk-{}.p12", profile.as_str()));
        let theirs_p12 = dir.path().join(format!("openssl-{}.p12", profile.as_str()));
        let export_cmd = || {
            let mut cmd = openssl(&["pkcs12", "-export", "-inkey"]);
            cmd.arg(&key_path)
                .arg("-in")
                .arg(&cert_path)
                .arg("-certfile")
                .arg(&chain_path)
                .args(["-name", FRIENDLY_NAME])
                .arg("-out")
                .arg(&theirs_p12)
                .arg("-passout")
                .arg(&pw_arg)
                .args(&algs);
            cmd
        };

        let mut export_ours = Vec::with_capacity(plan.runs);
        let mut export_theirs = Vec::with_capacity(plan.runs);
        let mut written = Vec::new();
        let started = Instant::now();
        while plan.go_on(export_ours.len(), started) {
            export_ours.push(time_call(|| {
                written = export_pkcs12(&spec).map_err(|e| e.to_string())?;
                Ok(())
            })?);
            export_theirs.push(time_command(&mut export_cmd())?);
        }
        std::fs::write(&ours_p12, &written)
            .map_err(|e| format!("cannot write {}: {e}", ours_p12.display()))?;

        // Both import the same file: the one certdesk wrote. `-noenc -out /dev/null` makes
        // openssl verify the MAC and decrypt certificates and key, as certdesk's import does.
        let mut import_ours = Vec::with_capacity(plan.runs);
        let mut import_theirs = Vec::with_capacity(plan.runs);
        let started = Instant::now();
        while plan.go_on(import_ours.len(), started) {
            import_ours.push(time_call(|| {
                let contents = import_pkcs12(&written, &password, "certdesk.p12")
                    .map_err(|e| e.to_string())?;
                if contents.chain.len() != chain.len() {
                    return Err(format!(
                        "import found {} certificate(s), expected {}",
                        contents.chain.len(),
                        chain.len()
                    ));
                }
                Ok(contents)
            })?);
            let mut cmd = openssl(&["pkcs12", "-noenc", "-out", "/dev/null", "-in"]);
            cmd.arg(&ours_p12).arg("-passin").arg(&pw_arg);
            import_theirs.push(time_command(&mut cmd)?);
        }

        let params_certdesk = p12_info(&ours_p12, &pw_file)?;
        let params_openssl = p12_info(&theirs_p12, &pw_file)?;
        if params_certdesk != params_openssl && mismatches.is_empty() {
            mismatches.push(
                "openssl pkcs12 -info reports different parameters for the two files (see above)"
                    .to_owned(),
            );
        }
        let mut export_args: Vec<String> = ["pkcs12", "-export"].map(str::to_owned).to_vec();
        export_args.extend(algs.iter().cloned());
        results.push(P12Result {
            profile,
            iterations,
            openssl_export_args: export_args,
            export: Pair::new(&export_ours, &export_theirs, startup),
            import: Pair::new(&import_ours, &import_theirs, startup),
            params_certdesk,
            params_openssl,
            mismatches,
        });
    }
    Ok(P12Bench {
        planned: plan.runs,
        identity: format!(
            "ECDSA P-256 key from certdesk, certificate from OpensslCa; {} certificates (leaf, \
             issuing CA, root); friendly name \"{FRIENDLY_NAME}\"",
            chain.len()
        ),
        results,
    })
}

// ---------------------------------------------------------------------------------------------
// Report

struct Report {
    machine: Machine,
    load_end: String,
    runs_override: Option<usize>,
    startup: Stats,
    keygen: Vec<KeygenResult>,
    p12: P12Bench,
    total: Duration,
}

impl Report {
    fn goal(&self) -> Option<(f64, f64, bool)> {
        let rsa3072 = self.keygen.iter().find(|k| k.spec == KeySpec::Rsa3072)?;
        let adjusted = rsa3072.pair.ratio_adjusted()?;
        Some((adjusted, rsa3072.pair.ratio_raw(), adjusted <= GOAL_RATIO))
    }

    fn goal_line(&self) -> String {
        match self.goal() {
            Some((adjusted, raw, met)) => format!(
                "Goal: RSA-3072 generation ≤ {GOAL_RATIO} × openssl: {} (ratio {:.2} against \
                 openssl minus start-up; {:.2} against openssl's raw wall clock)",
                if met { "MET" } else { "NOT MET" },
                adjusted,
                raw
            ),
            None => "Goal: RSA-3072 generation ≤ 0.5 × openssl: UNKNOWN (openssl's time did not \
                     exceed its start-up)"
                .to_owned(),
        }
    }

    fn text(&self) -> String {
        let m = &self.machine;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "certdesk-bench: certdesk beside openssl, same run ({})",
            m.started_utc
        );
        let _ = writeln!(out, "build:    {}", m.build);
        let _ = writeln!(
            out,
            "machine:  {} CPU(s) (nproc), {}; load average {} at start, {} at end",
            m.cpus, m.cpu_model, m.load_start, self.load_end
        );
        let _ = writeln!(out, "openssl:  {}", m.openssl_version);
        let _ = writeln!(
            out,
            "runs:     {}",
            match self.runs_override {
                Some(n) => format!("{n} for every measurement ({RUNS_ENV}={n})"),
                None => format!(
                    "defaults: 31 EC, 15 RSA-2048/3072, 7 RSA-4096, {P12_DEFAULT_RUNS} per PKCS#12 \
                     operation, fewer (>= {MIN_RUNS}) when a time budget runs out, marked `*` \
                     (set {RUNS_ENV} for exact counts)"
                ),
            }
        );
        let _ = writeln!(
            out,
            "Times: wall-clock ms, median [min..max]. certdesk runs in-process, openssl as a new \
             process each time;\n\"start\" is openssl's start-up (median of {} `openssl version` \
             runs: {}), \"openssl-start\" is openssl's median minus it.\nratio = certdesk median / \
             openssl median (raw) and / (openssl-start) (adj). Runs of the two alternate; one \
             unrecorded warm-up each for key generation.",
            self.startup.samples_ms.len(),
            self.startup.cell()
        );

        let _ = writeln!(
            out,
            "\nKey generation (certdesk PrivateKey::generate vs openssl genpkey -out /dev/null)"
        );
        let rows: Vec<Vec<String>> = self
            .keygen
            .iter()
            .map(|k| {
                vec![
                    k.spec.as_str().to_owned(),
                    runs_cell(&k.pair, k.planned),
                    k.pair.certdesk.cell(),
                    k.pair.openssl.cell(),
                    fmt_ms(self.startup.median),
                    fmt_adjusted(&k.pair),
                    fmt_ratio(Some(k.pair.ratio_raw())),
                    fmt_ratio_adjusted(&k.pair),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "key type",
                "N",
                "certdesk",
                "openssl",
                "start",
                "openssl-start",
                "ratio raw",
                "ratio adj",
            ],
            &rows,
            1,
        ));
        let _ = writeln!(
            out,
            "(`~`: openssl's time minus start-up is within the start-up's own min..max spread, \
             so that figure and its ratio are noise; EC generation is mostly process start-up.\n\
             RSA generation time is random (prime search): compare medians, mind min..max.)"
        );

        let _ = writeln!(
            out,
            "\nPKCS#12 ({})\ncertdesk export_pkcs12 / import_pkcs12 vs openssl pkcs12 -export / \
             openssl pkcs12 -noenc -out /dev/null (MAC check + decrypt key and certificates).\n\
             Both importers read the file certdesk wrote. Up to {} run(s) each, no warm-up.",
            self.p12.identity, self.p12.planned
        );
        let mut rows = Vec::new();
        for r in &self.p12.results {
            for (op, pair) in [("export", &r.export), ("import", &r.import)] {
                rows.push(vec![
                    op.to_owned(),
                    r.profile.as_str().to_owned(),
                    format!("{}/{}", r.iterations.0, r.iterations.1),
                    runs_cell(pair, self.p12.planned),
                    pair.certdesk.cell(),
                    pair.openssl.cell(),
                    fmt_adjusted(pair),
                    fmt_ratio(Some(pair.ratio_raw())),
                    fmt_ratio_adjusted(pair),
                ]);
            }
        }
        out.push_str(&table(
            &[
                "operation",
                "profile",
                "iter enc/mac",
                "N",
                "certdesk",
                "openssl",
                "openssl-start",
                "ratio raw",
                "ratio adj",
            ],
            &rows,
            3,
        ));
        if cfg!(debug_assertions) {
            let _ = writeln!(
                out,
                "Debug build: certdesk-core (the PKCS#12 key derivation its export uses for the \
                 MAC and 3DES), p12-keystore, PBKDF2 and the hash and cipher crates run at \
                 opt-level 2 (Cargo.toml [profile.dev]). For shipped speed: scripts/bench.sh \
                 --release."
            );
        }
        let _ = writeln!(
            out,
            "Parameters (iterations from P12Profile::iterations(); algorithms as `openssl pkcs12 \
             -info` reports them for each file):"
        );
        for r in &self.p12.results {
            let _ = writeln!(
                out,
                "  {} ({}): openssl {}",
                r.profile.as_str(),
                r.profile.describe(),
                r.openssl_export_args.join(" ")
            );
            let _ = writeln!(out, "    certdesk file: {}", r.params_certdesk.join("; "));
            let _ = writeln!(out, "    openssl file:  {}", r.params_openssl.join("; "));
            if r.mismatches.is_empty() {
                let _ = writeln!(out, "    -> parameters matched exactly");
            } else {
                for m in &r.mismatches {
                    let _ = writeln!(out, "    -> NOT matched exactly: {m}");
                }
            }
        }

        let _ = writeln!(out, "\n{}", self.goal_line());
        let _ = writeln!(out, "Total bench time: {:.1} s", self.total.as_secs_f64());
        out
    }

    fn json(&self) -> Json {
        let m = &self.machine;
        let keygen = self
            .keygen
            .iter()
            .map(|k| {
                let mut fields = vec![
                    ("key_type".into(), Json::Str(k.spec.as_str().into())),
                    ("planned_runs".into(), Json::Int(k.planned as u64)),
                    (
                        "openssl_command".into(),
                        Json::Str(format!("openssl {}", k.openssl_args.join(" "))),
                    ),
                ];
                fields.extend(k.pair.json());
                Json::Obj(fields)
            })
            .collect();
        let p12 = self
            .p12
            .results
            .iter()
            .map(|r| {
                let mut export = vec![(
                    "openssl_command".into(),
                    Json::Str(format!("openssl {}", r.openssl_export_args.join(" "))),
                )];
                export.extend(r.export.json());
                let mut import = vec![(
                    "openssl_command".into(),
                    Json::Str("openssl pkcs12 -noenc -out /dev/null -in <certdesk file>".into()),
                )];
                import.extend(r.import.json());
                let strings =
                    |v: &[String]| Json::Arr(v.iter().map(|s| Json::Str(s.clone())).collect());
                Json::Obj(vec![
                    ("profile".into(), Json::Str(r.profile.as_str().into())),
                    (
                        "encryption_iterations".into(),
                        Json::Int(r.iterations.0.into()),
                    ),
                    ("mac_iterations".into(), Json::Int(r.iterations.1.into())),
                    ("export".into(), Json::Obj(export)),
                    ("import".into(), Json::Obj(import)),
                    (
                        "openssl_info_certdesk_file".into(),
                        strings(&r.params_certdesk),
                    ),
                    (
                        "openssl_info_openssl_file".into(),
                        strings(&r.params_openssl),
                    ),
                    (
                        "parameters_matched".into(),
                        Json::Bool(r.mismatches.is_empty()),
                    ),
                    ("mismatches".into(), strings(&r.mismatches)),
                ])
            })
            .collect();
        let goal = match self.goal() {
            Some((adjusted, raw, met)) => Json::Obj(vec![
                (
                    "description".into(),
                    Json::Str("RSA-3072 generation <= 0.5 x openssl".into()),
                ),
                ("met".into(), Json::Bool(met)),
                ("ratio_startup_adjusted".into(), Json::Num(adjusted)),
                ("ratio_raw".into(), Json::Num(raw)),
            ]),
            None => Json::Null,
        };
        Json::Obj(vec![
            ("started_utc".into(), Json::Str(m.started_utc.clone())),
            ("build".into(), Json::Str(m.build.into())),
            (
                "debug_assertions".into(),
                Json::Bool(cfg!(debug_assertions)),
            ),
            (
                "machine".into(),
                Json::Obj(vec![
                    ("cpus".into(), Json::Int(m.cpus as u64)),
                    ("cpu_model".into(), Json::Str(m.cpu_model.clone())),
                    ("loadavg_start".into(), Json::Str(m.load_start.clone())),
                    ("loadavg_end".into(), Json::Str(self.load_end.clone())),
                ]),
            ),
            (
                "openssl_version".into(),
                Json::Str(m.openssl_version.clone()),
            ),
            (
                "runs_override".into(),
                self.runs_override
                    .map_or(Json::Null, |n| Json::Int(n as u64)),
            ),
            ("openssl_startup".into(), self.startup.json()),
            ("keygen".into(), Json::Arr(keygen)),
            (
                "pkcs12".into(),
                Json::Obj(vec![
                    ("identity".into(), Json::Str(self.p12.identity.clone())),
                    ("planned_runs".into(), Json::Int(self.p12.planned as u64)),
                    ("results".into(), Json::Arr(p12)),
                ]),
            ),
            ("goal".into(), goal),
            ("total_seconds".into(), Json::Num(self.total.as_secs_f64())),
        ])
    }
}

/// The number of runs, with `*` when the time budget cut it below the plan.
fn runs_cell(pair: &Pair, planned: usize) -> String {
    let n = pair.certdesk.samples_ms.len();
    if n < planned {
        format!("{n}*")
    } else {
        n.to_string()
    }
}

fn fmt_ms(ms: f64) -> String {
    if !ms.is_finite() {
        "n/a".to_owned()
    } else if ms.abs() < 1.0 {
        format!("{ms:.3}")
    } else if ms.abs() < 10.0 {
        format!("{ms:.2}")
    } else if ms.abs() < 1000.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

/// openssl minus start-up; `~` marks a figure within the start-up's own spread (noise).
fn fmt_adjusted(pair: &Pair) -> String {
    let ms = pair.openssl_adjusted;
    match (ms > 0.0, pair.adjusted_is_noise) {
        (false, _) => "<=0".to_owned(),
        (true, true) => format!("~{}", fmt_ms(ms)),
        (true, false) => fmt_ms(ms),
    }
}

fn fmt_ratio_adjusted(pair: &Pair) -> String {
    let ratio = fmt_ratio(pair.ratio_adjusted());
    if pair.adjusted_is_noise && pair.ratio_adjusted().is_some() {
        format!("~{ratio}")
    } else {
        ratio
    }
}

fn fmt_ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r.is_finite() && r < 0.1 => format!("{r:.4}"),
        Some(r) if r.is_finite() => format!("{r:.2}"),
        _ => "n/a".to_owned(),
    }
}

/// A plain aligned table: the first `left` columns left-aligned, the rest right-aligned.
fn table(headers: &[&str], rows: &[Vec<String>], left: usize) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, &w))| {
                if i < left {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        format!("{}\n", parts.join("  ").trim_end())
    };
    let mut out = line(headers.to_vec());
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    out.push_str(&line(rule.iter().map(String::as_str).collect()));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// JSON (a few lines instead of another dependency)

enum Json {
    Null,
    Bool(bool),
    Int(u64),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn write(&self, out: &mut String, indent: usize) {
        let pad = "  ".repeat(indent + 1);
        let close = "  ".repeat(indent);
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => out.push_str(&n.to_string()),
            Json::Num(x) if x.is_finite() => {
                let rounded = (x * 1e4).round() / 1e4;
                out.push_str(&rounded.to_string());
            }
            Json::Num(_) => out.push_str("null"),
            Json::Str(s) => write_json_string(out, s),
            Json::Arr(items) if items.iter().all(Json::is_scalar) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out, indent + 1);
                }
                out.push(']');
            }
            Json::Arr(items) => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    out.push_str(&pad);
                    item.write(out, indent + 1);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                out.push_str(&close);
                out.push(']');
            }
            Json::Obj(fields) => {
                out.push_str("{\n");
                for (i, (k, v)) in fields.iter().enumerate() {
                    out.push_str(&pad);
                    write_json_string(out, k);
                    out.push_str(": ");
                    v.write(out, indent + 1);
                    out.push_str(if i + 1 < fields.len() { ",\n" } else { "\n" });
                }
                out.push_str(&close);
                out.push('}');
            }
        }
    }

    fn is_scalar(&self) -> bool {
        !matches!(self, Json::Arr(_) | Json::Obj(_))
    }
}

fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `<target>/bench/bench.json`: the target directory is the grandparent of this binary
/// (`<target>/<profile>/certdesk-bench`), which follows `CARGO_TARGET_DIR` when it is set.
fn json_path() -> PathBuf {
    let target = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("bench").join("bench.json")
}

fn write_json(path: &Path, json: &Json) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut text = String::new();
    json.write(&mut text, 0);
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
