//! A SCEP server (RFC 8894) that certdesk did not write: Debian's `scep` package (micromdm's
//! `scepserver`), with its own CA from `scepserver ca -init`, a challenge password,
//! `-allowrenew 0` (renewal accepted at any time) and a `-csrverifierexec` script that refuses
//! every request whose subject contains "refuse" (CertRep FAILURE badRequest).
//!
//! `scepserver` only listens on all interfaces (`-port N` becomes `:N`), so it runs inside a
//! private network namespace (`unshare -n`, loopback up) where nothing else can reach it, and
//! one `socat` inside bridges a Unix socket to it; a second `socat` outside bridges a
//! 127.0.0.1 ephemeral port to that socket. Both process groups are stopped by PID on drop
//! (see [`ChildGuard`]); [`ScepServer::server_pid`] lets a test check that the server itself
//! is gone afterwards.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::cmd::{read_file, run_tool, temp_dir, write_file};
use crate::{free_port, wait_for_port, ChildGuard};

/// The verifier: the decrypted CSR (DER) on stdin; exit 1 refuses it.
const VERIFIER_SH: &str = "#!/bin/sh\nif openssl req -inform DER -noout -subject | grep -q refuse; then exit 1; fi\nexit 0\n";

/// A running `scepserver` reachable at `http://127.0.0.1:PORT/scep`.
pub struct ScepServer {
    port: u16,
    ca_sha256: String,
    server_pid: u32,
    // Field order: the processes stop before their directory is deleted.
    bridge: ChildGuard,
    namespace: ChildGuard,
    dir: TempDir,
}

impl ScepServer {
    /// Makes a CA and starts the server with `challenge`. Panics with the server's log when
    /// it does not come up.
    pub fn start(challenge: &str) -> ScepServer {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = temp_dir("certdesk-scep-");
        let path = |name: &str| dir.path().join(name);
        run_tool(
            Command::new("scepserver")
                .args(["ca", "-init", "-keySize", "2048", "-depot"])
                .arg(path("depot")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        write_file(&path("verify.sh"), VERIFIER_SH.as_bytes());
        std::fs::set_permissions(path("verify.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("cannot chmod verify.sh: {e}"));
        let sock = path("scep.sock");
        let log = std::fs::File::create(path("server.log"))
            .unwrap_or_else(|e| panic!("cannot create the log: {e}"));
        // The challenge reaches the server on its command line, inside its own namespace: it
        // is a test value, and scepserver has no other way to take it.
        let script = r#"ip link set lo up || exit 1
scepserver -depot "$1" -port 8080 -challenge "$2" -allowrenew 0 -crtvalid 30 -csrverifierexec "$3" &
echo $! > "$4"
exec socat UNIX-LISTEN:"$5",fork TCP:127.0.0.1:8080"#;
        let mut ns = Command::new("unshare");
        ns.args(["-n", "sh", "-c", script, "sh"])
            .arg(path("depot"))
            .arg(challenge)
            .arg(path("verify.sh"))
            .arg(path("server.pid"))
            .arg(&sock)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log);
        let namespace = ChildGuard::spawn(&mut ns).unwrap_or_else(|e| panic!("{e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !sock.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let port = free_port();
        let bridge = ChildGuard::spawn(
            Command::new("socat")
                .arg(format!("TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr"))
                .arg(format!("UNIX-CONNECT:{}", sock.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let log_text = || String::from_utf8_lossy(&read_file(&path("server.log"))).into_owned();
        wait_for_port(port, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{e}\n--- log ---\n{}", log_text()));
        // socat accepts before scepserver listens: wait for a real answer.
        let caps = format!("http://127.0.0.1:{port}/scep?operation=GetCACaps");
        loop {
            let ok = Command::new("curl")
                .args(["-sf", "-o", "/dev/null", "--max-time", "2", &caps])
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                break;
            }
            if Instant::now() > deadline {
                panic!(
                    "scepserver did not answer GetCACaps\n--- log ---\n{}",
                    log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let server_pid = String::from_utf8_lossy(&read_file(&path("server.pid")))
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("no scepserver pid: {e}"));
        let fp = run_tool(
            Command::new("openssl")
                .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
                .arg(path("depot/ca.pem")),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .stdout_text();
        let ca_sha256 = fp
            .trim()
            .split_once('=')
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| panic!("unexpected openssl fingerprint output {fp:?}"));
        ScepServer {
            port,
            ca_sha256,
            server_pid,
            bridge,
            namespace,
            dir,
        }
    }

    /// `http://127.0.0.1:PORT/scep`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/scep", self.port)
    }

    /// The 127.0.0.1 port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The SCEP CA certificate (PEM file).
    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("depot/ca.pem")
    }

    /// The SCEP CA's private key (PEM file, encrypted by scepserver with an empty password:
    /// `-passin pass:`), for reading what certdesk encrypted to it with `openssl cms -decrypt`.
    pub fn ca_key_path(&self) -> PathBuf {
        self.dir.path().join("depot/ca.key")
    }

    /// SHA-256 fingerprint of the CA as `openssl x509 -fingerprint -sha256` prints it.
    pub fn ca_sha256(&self) -> &str {
        &self.ca_sha256
    }

    /// PID of the scepserver process (inside the namespace).
    pub fn server_pid(&self) -> u32 {
        self.server_pid
    }

    /// PIDs of the two process-group leaders (namespace shell, outer bridge).
    pub fn guard_pids(&self) -> (u32, u32) {
        (self.namespace.pid(), self.bridge.pid())
    }

    /// The server's log (one line per operation, errors such as "invalid challenge").
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&read_file(&self.dir.path().join("server.log"))).into_owned()
    }

    /// A scratch directory beside the server (deleted with it).
    pub fn scratch(&self) -> PathBuf {
        let p = self.dir.path().join("scratch");
        let _ = std::fs::create_dir_all(&p);
        p
    }
}

impl std::fmt::Debug for ScepServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScepServer")
            .field("port", &self.port)
            .field("server_pid", &self.server_pid)
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}
