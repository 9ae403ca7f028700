//! The external programs certdesk runs (`openssl` for the per-path re-check, NSS's `certutil`
//! and `pk12util` for browser stores) are found once per process, in fixed system locations
//! before `PATH`: a directory someone put first in `PATH` (a writable `~/bin`, a project's
//! `node_modules/.bin`) cannot slip in a program that receives a key's one-time password or an
//! encrypted key. `PATH` is searched only when the program is in none of those places.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Where the system's packages put programs, searched in this order before `PATH`.
#[cfg(unix)]
pub const SYSTEM_DIRS: &[&str] = &[
    "/usr/bin",
    "/bin",
    "/usr/sbin",
    "/sbin",
    "/usr/local/bin",
    "/opt/homebrew/bin",
];
/// Where the system's packages put programs (none fixed on Windows: `PATH` decides).
#[cfg(not(unix))]
pub const SYSTEM_DIRS: &[&str] = &[];

/// The absolute path of `name`, or `None` when it is not installed. Looked up once per process.
pub fn system_tool(name: &'static str) -> Option<PathBuf> {
    static FOUND: OnceLock<Mutex<HashMap<&'static str, Option<PathBuf>>>> = OnceLock::new();
    let found = FOUND.get_or_init(Mutex::default);
    let mut found = found
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    found
        .entry(name)
        .or_insert_with(|| find_tool(name, SYSTEM_DIRS, std::env::var_os("PATH").as_deref()))
        .clone()
}

/// `name` in `dirs`, then in the directories of `path` (a `PATH` value).
pub fn find_tool(name: &str, dirs: &[&str], path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    let fixed = dirs.iter().map(PathBuf::from);
    let searched = path
        .map(|p| std::env::split_paths(p).collect::<Vec<_>>())
        .unwrap_or_default();
    fixed
        .chain(searched.into_iter().filter(|d| d.is_absolute()))
        .flat_map(|d| candidates(&d, name))
        .find(|p| is_program(p))
}

fn candidates(dir: &Path, name: &str) -> Vec<PathBuf> {
    if cfg!(windows) {
        vec![dir.join(format!("{name}.exe")), dir.join(name)]
    } else {
        vec![dir.join(name)]
    }
}

fn is_program(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn program(dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\nexit 0\n").expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        p
    }

    #[test]
    fn system_directories_win_over_a_directory_first_in_path() {
        let system = tempfile::tempdir().expect("tempdir");
        let planted = tempfile::tempdir().expect("tempdir");
        let real = program(system.path(), "certutil");
        program(planted.path(), "certutil");
        let path = std::env::join_paths([planted.path()]).expect("PATH");
        let dirs = [system.path().to_str().expect("utf-8")];
        assert_eq!(find_tool("certutil", &dirs, Some(&path)), Some(real));
        // Not installed in a system directory: PATH decides; not executable: not a program;
        // relative PATH entries are never searched.
        let only_path = program(planted.path(), "pk12util");
        assert_eq!(find_tool("pk12util", &dirs, Some(&path)), Some(only_path));
        std::fs::write(planted.path().join("plain"), "x").expect("write");
        assert_eq!(find_tool("plain", &dirs, Some(&path)), None);
        let relative = std::ffi::OsString::from(".:bin");
        assert_eq!(find_tool("nothing-here", &[], Some(&relative)), None);
    }
}
