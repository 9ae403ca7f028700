//! Crash-safe file writes: a reader sees the old content or the new, never a torn file.

use std::fs;
#[cfg(unix)]
use std::fs::File;
use std::io::Write;
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
/// itself survives a power cut.
///
/// The temporary file has a random name and is created exclusively (`O_EXCL`, so a planted
/// file or symlink of that name is never opened or followed), readable by the owner only from
/// the first moment; its final mode is then set on the open file, never through its name.
/// This matters because the target folder may be one the user chose (an export path).
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
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(Error::io("create", dir.join(format!(".{file_name}.*.tmp"))))?;
    let tmp_path = tmp.path().to_path_buf();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(mode.bits()))
            .map_err(Error::io("set the mode of", &tmp_path))?;
    }
    // Elsewhere (Windows) the file inherits the ACL of the per-user directory it is written in.
    #[cfg(not(unix))]
    let _ = mode;
    tmp.write_all(data).map_err(Error::io("write", &tmp_path))?;
    tmp.as_file()
        .sync_all()
        .map_err(Error::io("flush", &tmp_path))?;
    // On failure the temporary file is removed when `persist`'s error drops it.
    tmp.persist(path)
        .map_err(|e| Error::io("replace", path)(e.error))?;
    sync_dir(dir)
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

    /// Before: the temporary name was `.NAME.tmp-PID`, opened without O_EXCL or O_NOFOLLOW, and
    /// its mode applied only to a new file. A local user who planted a symlink or a
    /// world-readable file under that name received the secret (this test failed then).
    #[cfg(unix)]
    #[test]
    fn planted_files_and_symlinks_at_temporary_names_never_receive_the_secret() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let victim = outside.path().join("stolen");
        fs::write(&victim, b"").expect("victim");
        let path = dir.path().join("export.p12");
        let pid = std::process::id();
        // The old predictable name, and a spread of names an attacker might guess.
        let planted_link = dir.path().join(format!(".export.p12.tmp-{pid}"));
        std::os::unix::fs::symlink(&victim, &planted_link).expect("symlink");
        let planted_file = dir.path().join(".export.p12.tmp");
        fs::write(&planted_file, b"").expect("plant");
        fs::set_permissions(&planted_file, fs::Permissions::from_mode(0o666)).expect("chmod");

        write_atomic(&path, b"SECRET-KEY-BYTES", FileMode::Private).expect("write");

        assert_eq!(
            fs::read(&victim).expect("victim"),
            b"",
            "the symlink was followed"
        );
        assert_eq!(fs::read(&planted_file).expect("planted"), b"");
        assert_eq!(fs::read(&path).expect("read"), b"SECRET-KEY-BYTES");
        let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the secret must be owner-only");
        // A public file gets its mode too, set on the open file.
        write_atomic(&path, b"cert", FileMode::Public).expect("write");
        let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
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
