//! Private scratch folders for the NSS tools (the one-time PKCS#12, the database's password
//! file), and the sweep that removes what a crashed certdesk left behind (issue #12).
//!
//! - Where: `$XDG_RUNTIME_DIR` when it is a private folder of ours (systemd makes it per user,
//!   0700, on tmpfs: never on a disk, gone at logout); otherwise `<cache dir>/certdesk/runtime`
//!   (0700). Never the shared temporary directory, where a crash used to leave a PKCS#12 next
//!   to its password file.
//! - What: the one-time PKCS#12 only; its password never touches a file (it reaches `pk12util`
//!   through a pipe, see `nss.rs`), so even a leftover PKCS#12 cannot be opened. A database's
//!   primary password (when it has one) is a 0600 file here for as long as the operation runs.
//! - Names: `certdesk-nss-<pid>-<random>`. A folder whose process has ended, or that is older
//!   than [`STALE_AFTER`] (the PID may have been reused), is stale: [`sweep_stale`] removes it.
//!   It runs before every NSS operation and when the CLI and the app start.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use certdesk_core::secret::SecretString;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The prefix of every scratch folder of ours.
pub(crate) const PREFIX: &str = "certdesk-nss-";

/// The prefix older versions used in the shared temporary directory.
const LEGACY_PREFIX: &str = "certdesk-store-";

/// A scratch folder older than this is stale even when a process with its PID runs: one NSS
/// operation takes seconds (each tool run is limited to a minute).
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(60 * 60);

/// What [`sweep_stale`] removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// The folders removed.
    pub removed: Vec<PathBuf>,
}

/// Removes the scratch folders of certdesk processes that ended without cleaning up (a crash,
/// a kill), in the runtime folder and, from older versions, in the temporary directory. Call
/// it when a front end starts; every NSS operation also calls it. Best effort: a folder that
/// cannot be removed is left for the next sweep.
pub fn sweep_stale() -> SweepReport {
    let mut report = SweepReport::default();
    if let Some(base) = runtime_base() {
        report.removed.extend(sweep_in(&base, PREFIX));
    }
    report
        .removed
        .extend(sweep_in(&std::env::temp_dir(), LEGACY_PREFIX));
    report
}

/// The folder scratch folders go into: `$XDG_RUNTIME_DIR` when it is usable, else a private
/// folder under the user's cache directory. `None` when neither exists (no home).
pub(crate) fn runtime_base() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        if is_private_dir(&dir) {
            return Some(dir);
        }
    }
    dirs::cache_dir().map(|cache| cache.join("certdesk").join("runtime"))
}

/// An absolute folder that is ours and that nobody else may enter (what the XDG Base
/// Directory spec promises for `$XDG_RUNTIME_DIR`; a folder that breaks it is not used).
fn is_private_dir(dir: &Path) -> bool {
    if !dir.is_absolute() {
        return false;
    }
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return false;
    };
    if !meta.is_dir() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.uid() == rustix::process::geteuid().as_raw() && meta.mode() & 0o077 == 0
    }
    #[cfg(not(unix))]
    true
}

/// Removes the stale folders named `prefix…` in `base`; returns them.
pub(crate) fn sweep_in(base: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(base) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        // Never follow a link someone planted under our name.
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        if !meta.is_dir() || !owned_by_me(&meta) {
            continue;
        }
        let old = meta
            .modified()
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_AFTER);
        // Legacy folders carry no PID: only their age tells.
        let owner_gone = prefix == PREFIX && pid_of(rest).is_some_and(|pid| !is_running(pid));
        if (owner_gone || old) && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed
}

fn owned_by_me(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.uid() == rustix::process::geteuid().as_raw()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        true
    }
}

/// The PID in `<pid>-<random>`.
fn pid_of(rest: &str) -> Option<u32> {
    rest.split_once('-')?.0.parse().ok()
}

/// Whether a process with this PID exists (`kill(pid, 0)`; "not permitted" means it exists).
pub(crate) fn is_running(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        !matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        )
    }
    #[cfg(not(unix))]
    {
        // Without a cheap liveness test, age alone decides (STALE_AFTER).
        let _ = pid;
        true
    }
}

/// A private scratch folder (0700) in the runtime folder; deleted on drop (and by the next
/// [`sweep_stale`] when this process dies first).
pub(crate) struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// Sweeps stale folders, then makes a new one.
    pub(crate) fn new() -> Result<Scratch> {
        let Some(base) = runtime_base() else {
            return Err(Error::Io {
                op: "find a private folder for the one-time PKCS#12 (there is no XDG_RUNTIME_DIR and no home):",
                path: PathBuf::from("$XDG_RUNTIME_DIR"),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        };
        Self::new_in(&base)
    }

    pub(crate) fn new_in(base: &Path) -> Result<Scratch> {
        certdesk_core::fsutil::create_private_dir(base)?;
        sweep_in(base, PREFIX);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-", std::process::id()))
            .tempdir_in(base)
            .map_err(Error::io("create a private directory in", base))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
                .map_err(Error::io("protect", dir.path()))?;
        }
        Ok(Scratch { dir })
    }

    /// The folder.
    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `bytes` to a new 0600 file.
    pub(crate) fn file(&self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        use std::io::Write;
        let path = self.dir.path().join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&path).map_err(Error::io("create", &path))?;
        f.write_all(bytes).map_err(Error::io("write", &path))?;
        Ok(path)
    }

    /// A password file: the password and a newline (NSS reads the first line).
    pub(crate) fn password(&self, name: &str, password: &SecretString) -> Result<PathBuf> {
        self.file(name, &password_line(password))
    }
}

/// The password and a newline, as NSS reads it from a file or a pipe; zeroized on drop.
pub(crate) fn password_line(password: &SecretString) -> Zeroizing<Vec<u8>> {
    let mut text = Zeroizing::new(Vec::with_capacity(password.expose().len() + 1));
    text.extend_from_slice(password.expose().as_bytes());
    text.push(b'\n');
    text
}

#[cfg(all(test, unix))]
// In tests a panic is the failure report.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn private_base() -> tempfile::TempDir {
        let base = tempfile::tempdir().unwrap();
        std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        base
    }

    #[test]
    fn a_scratch_folder_is_private_named_with_our_prefix_and_pid_and_removed_on_drop() {
        let base = private_base();
        let scratch = Scratch::new_in(base.path()).unwrap();
        let name = scratch
            .path()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            name.starts_with(&format!("{PREFIX}{}-", std::process::id())),
            "{name}"
        );
        let mode = std::fs::metadata(scratch.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        let file = scratch.file("x", b"1").unwrap();
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let path = scratch.path().to_path_buf();
        drop(scratch);
        assert!(!path.exists());
    }

    #[test]
    fn the_sweep_removes_folders_of_dead_processes_only() {
        let base = private_base();
        // A process that has ended: a child we started and waited for.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = base.path().join(format!("{PREFIX}{dead}-abc"));
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("identity.p12"), b"left behind").unwrap();
        let live = base
            .path()
            .join(format!("{PREFIX}{}-def", std::process::id()));
        std::fs::create_dir(&live).unwrap();
        let other = base.path().join("someone-else");
        std::fs::create_dir(&other).unwrap();

        let removed = sweep_in(base.path(), PREFIX);

        assert_eq!(removed, vec![stale.clone()]);
        assert!(!stale.exists());
        assert!(live.exists(), "a running process keeps its folder");
        assert!(other.exists(), "folders not ours are never touched");
    }

    #[test]
    fn an_unsafe_runtime_dir_is_not_used() {
        let base = tempfile::tempdir().unwrap();
        std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(!is_private_dir(base.path()));
        std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(is_private_dir(base.path()));
        assert!(!is_private_dir(Path::new("relative/dir")));
    }

    #[test]
    fn a_password_line_ends_in_a_newline() {
        assert_eq!(&password_line(&SecretString::new("pw"))[..], b"pw\n");
    }
}
