//! The user's home, under which the browser stores are found.

use std::path::PathBuf;

use crate::{Error, Result};

/// This user's home directory.
///
/// One rule for both front ends (issue #13: the CLI read `HOME`, then `USERPROFILE`; the app
/// used `dirs`). `dirs::home_dir` is kept: on Unix it is `$HOME` (so tests with a temporary
/// HOME behave as before) with the passwd entry as fallback, and on Windows it is the profile
/// folder that Firefox and Chromium use, even where a Unix-style shell has set `HOME` to
/// something else.
pub fn user_home() -> Result<PathBuf> {
    dirs::home_dir()
        .filter(|h| !h.as_os_str().is_empty())
        .ok_or(Error::NoHome)
}
