//! Running external tools so that a failure explains itself, and passing secrets to them by file.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

/// What a tool printed when it exited successfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// Raw standard output (may be binary, e.g. `-outform DER` to stdout).
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded. OpenSSL prints `-info` and `verify OK` lines here.
    pub stderr: String,
}

impl ToolOutput {
    /// Standard output, lossily decoded.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard output followed by standard error: everything a person would have seen.
    pub fn text(&self) -> String {
        let mut text = self.stdout_text();
        if !self.stderr.is_empty() {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&self.stderr);
        }
        text
    }
}

/// Runs `cmd` to completion with empty stdin and `LC_ALL=C`.
///
/// The error names the command line, the exit status and everything the tool printed, so a
/// failing test explains itself. Secrets must never be on the command line: use
/// [`PasswordFile`].
pub fn run_tool(cmd: &mut Command) -> Result<ToolOutput, String> {
    run_tool_with_stdin(cmd, &[])
}

/// Like [`run_tool`], feeding `stdin` to the tool.
pub fn run_tool_with_stdin(cmd: &mut Command, stdin: &[u8]) -> Result<ToolOutput, String> {
    let described = describe(cmd);
    cmd.env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| {
        format!("could not start {described}: {e} (is it installed? run scripts/install-deps.sh)")
    })?;
    let mut pipe = child.stdin.take().ok_or("stdin was not piped")?;
    let input = stdin.to_vec();
    // A separate thread avoids a deadlock when the tool fills its stdout before reading stdin.
    let writer = std::thread::spawn(move || {
        // A tool may exit without reading its input; that is reported through its status.
        let _ = pipe.write_all(&input);
    });
    let output = child
        .wait_with_output()
        .map_err(|e| format!("could not wait for {described}: {e}"))?;
    let _ = writer.join();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.success() {
        Ok(ToolOutput {
            stdout: output.stdout,
            stderr,
        })
    } else {
        Err(format!(
            "{described} failed ({})\n--- stderr ---\n{}\n--- stdout ---\n{}",
            output.status,
            stderr.trim_end(),
            String::from_utf8_lossy(&output.stdout).trim_end()
        ))
    }
}

fn describe(cmd: &Command) -> String {
    let mut line = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    format!("`{line}`")
}

/// A password in a mode-0600 file inside its own temporary directory, deleted on drop.
///
/// Tools read it through `-passin file:…` (openssl), `-w`/`-k`/`-f` (NSS) or `:file` (keytool),
/// which keeps it out of `ps`. The file holds the password without a trailing newline.
#[derive(Debug)]
pub struct PasswordFile {
    _dir: TempDir,
    path: PathBuf,
}

impl PasswordFile {
    /// Writes `password` to a fresh private file.
    pub fn new(password: &str) -> PasswordFile {
        let dir = temp_dir("certdesk-pw-");
        let path = dir.path().join("password");
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        file.write_all(password.as_bytes())
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        PasswordFile { _dir: dir, path }
    }

    /// Where the password is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A fresh temporary directory; panics with the reason when the system cannot make one.
pub(crate) fn temp_dir(prefix: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"))
}

/// Writes `bytes` to `path`, panicking with the path on failure.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Reads `path`, panicking with the path on failure.
pub(crate) fn read_file(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_reports_status_and_stderr() {
        let err = run_tool(Command::new("sh").args(["-c", "echo out; echo boom >&2; exit 3"]))
            .expect_err("exit 3 is a failure");
        assert!(err.contains("boom"), "{err}");
        assert!(err.contains("out"), "{err}");
        assert!(err.contains("exit status: 3"), "{err}");
        assert!(err.starts_with("`sh -c"), "{err}");
    }

    #[test]
    fn missing_tool_is_named() {
        let err = run_tool(&mut Command::new("certdesk-no-such-tool")).expect_err("not installed");
        assert!(err.contains("certdesk-no-such-tool"), "{err}");
        assert!(err.contains("install-deps"), "{err}");
    }

    #[test]
    fn stdin_reaches_the_tool() {
        let out = run_tool_with_stdin(&mut Command::new("cat"), b"hello").expect("cat runs");
        assert_eq!(out.stdout, b"hello");
    }

    #[test]
    fn password_file_is_private_and_exact() {
        use std::os::unix::fs::PermissionsExt as _;
        let pw = PasswordFile::new("s3cret");
        let meta = std::fs::metadata(pw.path()).expect("password file exists");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(read_file(pw.path()), b"s3cret");
        let path = pw.path().to_path_buf();
        drop(pw);
        assert!(!path.exists(), "password file removed on drop");
    }
}
