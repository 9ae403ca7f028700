//! Processes started by tests (servers) and the loopback ports they listen on.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// Owns a spawned process and stops it on drop: SIGTERM, up to five seconds' grace, then
/// SIGKILL, then reaps it. Always by PID (or by the process group the guard created, whose id
/// is that PID), never by name.
#[derive(Debug)]
pub struct ChildGuard {
    child: Child,
    own_group: bool,
    done: bool,
}

impl ChildGuard {
    /// Takes ownership of an already spawned child; only that PID is signalled.
    pub fn new(child: Child) -> ChildGuard {
        ChildGuard {
            child,
            own_group: false,
            done: false,
        }
    }

    /// Spawns `cmd` as the leader of a new process group, so that workers it forks (nginx,
    /// Apache) are stopped with it.
    pub fn spawn(cmd: &mut Command) -> Result<ChildGuard, String> {
        let child = cmd
            .process_group(0)
            .spawn()
            .map_err(|e| format!("could not start {:?}: {e}", cmd.get_program()))?;
        Ok(ChildGuard {
            child,
            own_group: true,
            done: false,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The child, for its pipes.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// `Some(status)` once the process has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stops the process now (see the type's documentation) and returns how it ended.
    pub fn stop(mut self) -> Option<ExitStatus> {
        self.terminate()
    }

    fn terminate(&mut self) -> Option<ExitStatus> {
        if self.done {
            return None;
        }
        self.done = true;
        let already = self.try_wait();
        if already.is_none() || self.own_group {
            self.signal("TERM");
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut status = already;
        while status.is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            status = self.try_wait();
        }
        if status.is_none() || self.own_group {
            self.signal("KILL");
            let _ = self.child.kill();
        }
        match status {
            Some(s) => Some(s),
            None => self.child.wait().ok(),
        }
    }

    /// `kill -s SIG PID` (or `-- -PGID`) through `sh`, whose builtin `kill` exists everywhere;
    /// `unsafe` libc calls are forbidden in this workspace.
    fn signal(&self, sig: &str) {
        let target = if self.own_group {
            format!("-{}", self.pid())
        } else {
            self.pid().to_string()
        };
        // The process may already be gone; that is the goal, not an error.
        let _ = Command::new("sh")
            .args([
                "-c",
                "kill -s \"$1\" -- \"$2\" 2>/dev/null",
                "sh",
                sig,
                &target,
            ])
            .status();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("bound socket has no address: {e}"))
        .port()
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> Result<(), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + timeout;
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(format!(
                    "nothing listened on {addr} within {timeout:?}: {e}"
                ))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(25)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead as _, BufReader};
    use std::process::Stdio;

    fn alive(pid: u32) -> bool {
        // A reaped process has no /proc entry; a zombie is as good as dead here.
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => !stat
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('Z')),
            Err(_) => false,
        }
    }

    #[test]
    fn drop_kills_the_child() {
        let guard = ChildGuard::new(
            Command::new("sleep")
                .arg("300")
                .spawn()
                .expect("sleep starts"),
        );
        let pid = guard.pid();
        assert!(alive(pid));
        drop(guard);
        assert!(!alive(pid), "pid {pid} survived the guard");
    }

    #[test]
    fn drop_kills_the_whole_group() {
        let mut guard = ChildGuard::spawn(
            Command::new("sh")
                .args(["-c", "sleep 300 & echo $!; wait"])
                .stdout(Stdio::piped()),
        )
        .expect("sh starts");
        let stdout = guard.child_mut().stdout.take().expect("stdout piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("sh prints the pid of its child");
        let grandchild: u32 = line.trim().parse().expect("a pid");
        let pid = guard.pid();
        assert!(alive(grandchild));
        drop(guard);
        assert!(!alive(pid), "leader {pid} survived");
        // The orphaned grandchild is reaped by init; give it a moment.
        let deadline = Instant::now() + Duration::from_secs(2);
        while alive(grandchild) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!alive(grandchild), "grandchild {grandchild} survived");
    }

    #[test]
    fn stop_reports_exit_of_finished_child() {
        let mut guard = ChildGuard::new(Command::new("true").spawn().expect("true starts"));
        let deadline = Instant::now() + Duration::from_secs(5);
        while guard.try_wait().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let status = guard.stop().expect("status known");
        assert!(status.success());
    }

    #[test]
    fn free_port_can_be_listened_on() {
        let port = free_port();
        assert_ne!(port, 0);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).expect("port is free");
        wait_for_port(port, Duration::from_secs(2)).expect("listener accepts");
        drop(listener);
        assert!(wait_for_port(port, Duration::from_millis(100)).is_err());
    }
}
