//! Running the NSS tools: stdin closed (a tool that wants to prompt gets end-of-file instead of
//! waiting for a person) or, for a secret, a pipe holding the secret and then end-of-file;
//! output captured, and a time limit after which the child is killed by its PID.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long one certutil/pk12util run may take. A PKCS#12 import with 600,000 PBKDF2 rounds
/// takes about a second; a minute means something waits for input or a lock.
pub(crate) const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

/// What a finished tool printed.
#[derive(Debug)]
pub(crate) struct ToolRun {
    pub(crate) success: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl ToolRun {
    /// stdout and stderr together, for matching NSS error codes wherever the tool put them.
    pub(crate) fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// The tool's last meaningful lines, for an error message.
    pub(crate) fn detail(&self) -> String {
        let text = self.all();
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("certutil: Checking token"))
            .collect();
        let tail = &lines[lines.len().saturating_sub(2)..];
        if tail.is_empty() {
            "no output".into()
        } else {
            tail.join(" / ")
        }
    }
}

/// Runs `tool` with `args`, stdin from /dev/null, and kills it after `TOOL_TIMEOUT`.
pub(crate) fn run_tool(
    tool: &'static str,
    args: &[std::ffi::OsString],
    db: &Path,
) -> Result<ToolRun> {
    run_tool_within(tool, args, db, None, TOOL_TIMEOUT)
}

/// Like [`run_tool`], with `input` on the tool's stdin followed by end-of-file. This is how a
/// secret reaches a tool without a file and without argv (`-w /dev/stdin`): only this user
/// (and root) can see a pipe of their process, while argv is public in /proc. The input must
/// stay below PIPE_BUF (4096 bytes) so that it arrives in one atomic write: NSS reads a
/// password "file" with a single read.
pub(crate) fn run_tool_with_input(
    tool: &'static str,
    args: &[std::ffi::OsString],
    db: &Path,
    input: &[u8],
) -> Result<ToolRun> {
    run_tool_within(tool, args, db, Some(input), TOOL_TIMEOUT)
}

fn run_tool_within(
    tool: &'static str,
    args: &[std::ffi::OsString],
    db: &Path,
    input: Option<&[u8]>,
    limit: Duration,
) -> Result<ToolRun> {
    // The system's certutil/pk12util, never one placed first in PATH (core::systool).
    let Some(program) = certdesk_core::systool::system_tool(tool) else {
        return Err(Error::NssToolsMissing { tool });
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // English messages, so that NSS error names can be matched.
        .env("LC_ALL", "C");
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NssToolsMissing { tool })
        }
        Err(e) => return Err(Error::io("start", tool)(e)),
    };
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        use std::io::Write;
        // A tool that exits before reading closes the pipe: its exit status tells what
        // happened, so a failed write is not an error of its own. Dropping `stdin` sends
        // end-of-file.
        let _ = stdin.write_all(input);
    }
    let mut out_pipe = child.stdout.take();
    let mut err_pipe = child.stderr.take();
    let out_thread = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = err_pipe.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Timeout {
                    tool,
                    dir: db.to_path_buf(),
                    secs: limit.as_secs(),
                });
            }
            Err(e) => return Err(Error::io("wait for", tool)(e)),
        }
    };
    Ok(ToolRun {
        success: status.success(),
        stdout: out_thread.join().unwrap_or_default(),
        stderr: err_thread.join().unwrap_or_default(),
    })
}

#[cfg(all(test, unix))]
// In tests a panic is the failure report.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_waiting_for_input_gets_end_of_file_not_a_person() {
        // `cat` would wait forever on a terminal; with stdin closed it ends at once.
        let started = Instant::now();
        let run =
            run_tool_within("cat", &[], Path::new("/db"), None, Duration::from_secs(5)).unwrap();
        assert!(run.success);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_tool_that_hangs_is_killed_at_the_limit() {
        let started = Instant::now();
        let err = run_tool_within(
            "sleep",
            &["30".into()],
            Path::new("/db"),
            None,
            Duration::from_millis(300),
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::Timeout { tool: "sleep", .. }),
            "{err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn input_arrives_on_stdin_followed_by_end_of_file() {
        let run = run_tool_within(
            "cat",
            &[],
            Path::new("/db"),
            Some(b"secret\n"),
            Duration::from_secs(5),
        )
        .unwrap();
        assert!(run.success);
        assert_eq!(run.stdout, "secret\n");
    }

    #[test]
    fn a_missing_tool_names_the_nss_tools_package() {
        let err = run_tool("certdesk-no-such-tool", &[], Path::new("/db")).unwrap_err();
        assert!(matches!(err, Error::NssToolsMissing { .. }), "{err:?}");
        assert!(err.hint().unwrap().contains("libnss3-tools"));
    }
}
