//! Crash-safe file writes: a reader sees the old content or the new, never a torn file.

#[cfg(unix)]
use std::fs::File;
use std::fs::{self, OpenOptions};
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::{Error, Result};

/// How readable a written file may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// Owner read/write only (0600): keys, wallet records, exports holding keys.
    Private,
    /// 0644: certificates and requests, which are public.
    Public,
}

impl FileMode {
    #[cfg(unix)]
    fn bits(self) -> u32 {
        match self {
            FileMode::Private => 0o600,
            FileMode::Public => 0o644,
        }
    }
}

/// Writes `data` to `path` atomically: a temporary file in the same directory is written,
/// flushed to disk, then renamed over `path`, and the directory is synced so the rename
/// itself survives a power cut. The temporary file is created with the final mode, so a
/// private file is never readable by others, not even for a moment.
pub fn write_atomic(path: &Path, data: &[u8], mode: FileMode) -> Result<()> {
    // A bare file name has the empty path as parent: that is the current directory.
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(mode.bits());
    // Elsewhere (Windows) the file inherits the ACL of the per-user directory it is written in.
    #[cfg(not(unix))]
    let _ = mode;
    let result = (|| {
        let mut file = options.open(&tmp).map_err(Error::io("create", &tmp))?;
        file.write_all(data).map_err(Error::io("write", &tmp))?;
        file.sync_all().map_err(Error::io("flush", &tmp))?;
        drop(file);
        fs::rename(&tmp, path).map_err(Error::io("replace", path))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Flushes a directory's entries (new names, renames) to disk.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let handle = File::open(dir).map_err(Error::io("open", dir))?;
        handle.sync_all().map_err(Error::io("flush", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Creates a directory (and parents) readable by the owner only.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(Error::io("create directory", dir))
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir).map_err(Error::io("create directory", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_file_names_are_written_in_the_current_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let here = std::env::current_dir().expect("cwd");
        std::env::set_current_dir(dir.path()).expect("cd");
        let result = write_atomic(Path::new("plain.txt"), b"x", FileMode::Public);
        std::env::set_current_dir(here).expect("cd back");
        result.expect("write with a bare name");
        assert_eq!(fs::read(dir.path().join("plain.txt")).expect("read"), b"x");
    }

    #[test]
    fn replaces_content_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("record.json");
        write_atomic(&path, b"old", FileMode::Private).expect("first write");
        write_atomic(&path, b"new", FileMode::Private).expect("second write");
        assert_eq!(fs::read(&path).expect("read"), b"new");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("record.json")]);
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("key");
        write_atomic(&path, b"x", FileMode::Private).expect("write");
        let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn failed_write_keeps_the_old_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("record.json");
        write_atomic(&path, b"old", FileMode::Public).expect("write");
        // A directory in the way of the rename makes the final step fail after the
        // temporary file was written: the old file must be untouched.
        let blocked = dir.path().join("sub");
        fs::create_dir(&blocked).expect("mkdir");
        fs::create_dir(blocked.join("x")).expect("mkdir");
        assert!(write_atomic(&blocked, b"new", FileMode::Public).is_err());
        assert_eq!(fs::read(&path).expect("read"), b"old");
    }
}
