//! Helpers shared by the CLI integration tests: a sandbox per test (wallet, HOME and
//! XDG_DATA_HOME in one temporary directory), a runner for the real `certdesk` binary, and the
//! few wallet queries every test needs.
//!
//! Every child gets `--home` inside the sandbox, its own `HOME` and `XDG_DATA_HOME`, no
//! `CERTDESK_HOME`, and — unless the sandbox is made for the keyring tests — a D-Bus address that
//! leads nowhere, so nothing can reach the real user's keyring.

// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use std::fmt;
use std::fs;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// The passphrase protecting keys in every test except the keyring ones.
pub const PASSPHRASE: &str = "wallet-passphrase-42";
/// Password given to `export p12 --password-file`.
pub const EXPORT_PASSWORD: &str = "export-Pa55word!";
/// Password given to `export pem --password-file` for the exported key.
pub const KEY_PASSWORD: &str = "key-export-pw-7";
/// A session bus address that cannot be reached: no Secret Service.
pub const NO_BUS: &str = "unix:path=/nonexistent";

/// A private world for one test: wallet, HOME, XDG_DATA_HOME and scratch files.
#[derive(Debug)]
pub struct Sandbox {
    root: TempDir,
    passphrase_file: Option<PathBuf>,
    inherit_bus: bool,
}

impl Sandbox {
    /// Keys protected by [`PASSPHRASE`] (given with `--passphrase-file` on every call); no
    /// Secret Service is reachable.
    pub fn new() -> Sandbox {
        let sandbox = Sandbox::bare(false);
        let path = sandbox.secret_file("passphrase", PASSPHRASE);
        Sandbox {
            passphrase_file: Some(path),
            ..sandbox
        }
    }

    /// No `--passphrase-file`; the child uses the caller's D-Bus session (the private test
    /// keyring of `scripts/with-keyring.sh`).
    pub fn with_keyring() -> Sandbox {
        Sandbox::bare(true)
    }

    /// No `--passphrase-file` and no reachable Secret Service.
    pub fn without_keyring_or_passphrase() -> Sandbox {
        Sandbox::bare(false)
    }

    fn bare(inherit_bus: bool) -> Sandbox {
        let root = tempfile::Builder::new()
            .prefix("certdesk-cli-test-")
            .tempdir()
            .expect("create a temporary directory");
        for sub in ["home", "data", "files"] {
            fs::create_dir(root.path().join(sub)).expect("create sandbox directory");
        }
        Sandbox {
            root,
            passphrase_file: None,
            inherit_bus,
        }
    }

    /// The wallet directory given with `--home` (certdesk creates it on the first write).
    pub fn wallet(&self) -> PathBuf {
        self.root.path().join("wallet")
    }

    /// The `HOME` of the child.
    pub fn user_home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    /// A path for a scratch file (inputs and outputs of the commands).
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join("files").join(name)
    }

    /// Writes a scratch file and returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// Writes a secret (no trailing newline) to a mode-0600 scratch file.
    pub fn secret_file(&self, name: &str, secret: &str) -> PathBuf {
        let path = self.path(name);
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        std::io::Write::write_all(&mut f, secret.as_bytes()).expect("write secret");
        path
    }

    /// The passphrase file, in passphrase sandboxes.
    pub fn passphrase_file(&self) -> &Path {
        self.passphrase_file
            .as_deref()
            .expect("this sandbox has no passphrase file")
    }

    /// `certdesk --home WALLET [--passphrase-file F] ARGS…` with the sandbox's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_certdesk"));
        cmd.arg("--home").arg(self.wallet());
        if let Some(p) = &self.passphrase_file {
            cmd.arg("--passphrase-file").arg(p);
        }
        cmd.args(args)
            .env("HOME", self.user_home())
            .env("XDG_DATA_HOME", self.root.path().join("data"))
            .env_remove("CERTDESK_HOME")
            .env("LC_ALL", "C")
            .current_dir(self.root.path().join("files"))
            .stdin(Stdio::null());
        if !self.inherit_bus {
            cmd.env("DBUS_SESSION_BUS_ADDRESS", NO_BUS);
        }
        cmd
    }

    /// Runs certdesk to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        run_command(self.command(args))
    }

    /// Starts certdesk without waiting (stdout and stderr discarded).
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start certdesk")
    }

    /// `request new --subject SUBJECT EXTRA… --json`; returns the new id.
    #[track_caller]
    pub fn new_request(&self, subject: &str, extra: &[&str]) -> String {
        let mut args = vec!["--json", "request", "new", "--subject", subject];
        args.extend_from_slice(extra);
        let out = self.run(&args).ok().json();
        let id = out["id"].as_str().expect("request new --json has an id");
        assert!(
            id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit()),
            "id {id:?} is not 16 hex digits"
        );
        id.to_string()
    }

    /// `request export ID --out FILE` (PEM); returns the request.
    #[track_caller]
    pub fn export_csr(&self, id: &str) -> Vec<u8> {
        let out = self.path(&format!("{id}.csr"));
        self.run(&["request", "export", id, "--out", arg(&out)])
            .ok();
        read(&out)
    }

    /// `identity list --json`.
    #[track_caller]
    pub fn list(&self) -> Vec<Value> {
        match self.run(&["--json", "identity", "list"]).ok().json() {
            Value::Array(items) => items,
            other => panic!("identity list --json is not an array: {other}"),
        }
    }

    /// The status (`pending`, `issued`) of `id` in `identity list --json`.
    #[track_caller]
    pub fn status(&self, id: &str) -> String {
        let list = self.list();
        let entry = list
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("identity {id} is not in the list: {list:?}"));
        entry["status"]
            .as_str()
            .expect("status is a string")
            .to_string()
    }

    /// The stored record of an identity (`identities/<id>/identity.json`, see wallet.rs).
    pub fn record_bytes(&self, id: &str) -> Vec<u8> {
        read(
            &self
                .wallet()
                .join("identities")
                .join(id)
                .join("identity.json"),
        )
    }

    /// `export p12 ID --out FILE --password-file (EXPORT_PASSWORD) --profile PROFILE`; returns
    /// the file's bytes after checking that `openssl pkcs12` (no -legacy) opens it.
    #[track_caller]
    pub fn export_p12_checked(&self, id: &str, profile: &str) -> Vec<u8> {
        let pw = self.secret_file(&format!("p12-pw-{profile}-{}", unique()), EXPORT_PASSWORD);
        let out = self.path(&format!("{id}-{profile}-{}.p12", unique()));
        self.run(&[
            "export",
            "p12",
            id,
            "--out",
            arg(&out),
            "--password-file",
            arg(&pw),
            "--profile",
            profile,
        ])
        .ok();
        let bytes = read(&out);
        certdesk_testkit::openssl_pkcs12_info(&bytes, EXPORT_PASSWORD)
            .unwrap_or_else(|e| panic!("openssl cannot read the exported .p12: {e}"));
        bytes
    }
}

pub fn unique() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A path as a `&str` argument (temporary paths are UTF-8).
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// Reads a file, panicking with its path.
#[track_caller]
pub fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The permission bits of a path.
pub fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// Runs a command to completion, capturing everything.
pub fn run_command(mut cmd: Command) -> Run {
    let cmdline = format!("{cmd:?}");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {cmdline}: {e}"));
    Run {
        cmdline,
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What a certdesk run printed and how it ended.
#[derive(Debug, Clone)]
pub struct Run {
    /// The command line, for failure messages.
    pub cmdline: String,
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n  exit code: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.cmdline, self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    /// Asserts exit code 0.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, Some(0), "expected success:\n{self}");
        self
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn exit(self, code: i32) -> Run {
        assert_eq!(self.code, Some(code), "expected exit code {code}:\n{self}");
        self
    }

    /// Asserts exit code 2 with an `error: MESSAGE` line and a `hint: …` line on stderr, and
    /// nothing on stdout; returns the message after `error: `.
    #[track_caller]
    pub fn error(&self) -> String {
        assert_eq!(self.code, Some(2), "expected exit code 2:\n{self}");
        assert!(
            self.stdout.is_empty(),
            "an error printed on stdout:\n{self}"
        );
        let first = self.stderr.lines().next().unwrap_or_default();
        let message = first
            .strip_prefix("error: ")
            .unwrap_or_else(|| panic!("stderr does not start with `error: `:\n{self}"));
        message.to_string()
    }

    /// The text after `hint: ` on stderr; panics when there is no hint line.
    #[track_caller]
    pub fn hint(&self) -> String {
        self.stderr
            .lines()
            .find_map(|l| l.strip_prefix("hint: "))
            .unwrap_or_else(|| panic!("no `hint: ` line:\n{self}"))
            .to_string()
    }

    /// Standard output as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }
}

/// `openssl ARGS…` through the test kit's runner (its error names the command and stderr).
#[track_caller]
pub fn openssl(args: &[&str]) -> String {
    certdesk_testkit::run_tool(Command::new("openssl").args(args))
        .unwrap_or_else(|e| panic!("{e}"))
        .stdout_text()
}

/// The codes of the `warnings` array of an import outcome (`--json`).
pub fn warning_codes(outcome: &Value) -> Vec<String> {
    outcome["warnings"]
        .as_array()
        .unwrap_or_else(|| panic!("no warnings array in {outcome}"))
        .iter()
        .map(|w| w["code"].as_str().expect("warning code").to_string())
        .collect()
}

/// Counts non-overlapping occurrences of `needle` in `haystack`.
pub fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// `certdesk practice serve --json --port 0 --site-port 0 EXTRA…` in this sandbox; returns the
/// running server (stopped by PID on drop) and the JSON line it printed.
pub fn practice_serve(sb: &Sandbox, extra: &[&str]) -> (certdesk_testkit::ChildGuard, Value) {
    use std::io::{BufRead as _, BufReader};
    let mut args = vec![
        "--json",
        "practice",
        "serve",
        "--port",
        "0",
        "--site-port",
        "0",
    ];
    args.extend_from_slice(extra);
    let mut cmd = sb.command(&args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut guard =
        certdesk_testkit::ChildGuard::new(cmd.spawn().expect("start certdesk practice serve"));
    let stdout = guard.child_mut().stdout.take().expect("stdout piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the JSON line");
    let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
        let status = guard.try_wait();
        panic!("not a JSON line ({e}): {line:?}, process: {status:?}")
    });
    (guard, value)
}

/// Panics unless the Secret Service on our session bus is the gnome-keyring-daemon started by
/// scripts/with-keyring.sh (its HOME is that script's `certdesk-keyring.*` scratch directory):
/// the user's own keyring is never touched.
pub fn require_test_keyring() {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    assert!(
        !bus.is_empty(),
        "no D-Bus session: run under `dbus-run-session -- scripts/with-keyring.sh`"
    );
    let reply = certdesk_testkit::run_tool(Command::new("dbus-send").args([
        "--session",
        "--print-reply",
        "--dest=org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.GetConnectionUnixProcessID",
        "string:org.freedesktop.secrets",
    ]))
    .unwrap_or_else(|e| panic!("no Secret Service on the session bus: {e}"));
    let text = reply.stdout_text();
    let pid: u32 = text
        .split_whitespace()
        .skip_while(|w| *w != "uint32")
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {text}"));
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    let is_test_keyring = environ
        .split(|b| *b == 0)
        .any(|var| var.starts_with(b"HOME=") && var.windows(17).any(|w| w == b"/certdesk-keyring"));
    assert!(
        is_test_keyring,
        "the Secret Service (pid {pid}) is not the private test keyring of scripts/with-keyring.sh; refusing to touch it"
    );
}
