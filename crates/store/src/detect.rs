//! Finding the stores on this computer: Chromium's NSS databases, every Firefox profile listed
//! in a `profiles.ini` (classic, snap and flatpak installs), and the platform store.
//!
//! Detection only looks at files; it never starts a tool, so it is cheap enough for every
//! `certdesk stores` and every window refresh.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::target::{StoreTarget, TargetSpec};

/// Where Chromium/Chrome keep their NSS database, relative to HOME: the classic place, the
/// XDG place read since M146, and the snap package's private HOME.
pub const CHROMIUM_DB_DIRS: [&str; 3] = [
    ".pki/nssdb",
    ".local/share/pki/nssdb",
    "snap/chromium/current/.pki/nssdb",
];

/// Where Firefox keeps `profiles.ini`, relative to HOME: classic, snap, flatpak.
pub const FIREFOX_ROOTS: [&str; 3] = [
    ".mozilla/firefox",
    "snap/firefox/common/.mozilla/firefox",
    ".var/app/org.mozilla.firefox/.mozilla/firefox",
];

/// A store found on this computer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DetectedStore {
    /// The store.
    pub target: StoreTarget,
    /// The database files exist (false for a Firefox profile that was never started).
    pub exists: bool,
    /// The profile Firefox starts by default.
    pub is_default: bool,
    /// Firefox is running with this profile (its `lock` link names a live process): a newly installed
    /// identity shows up after a restart.
    pub in_use: bool,
}

/// One `[ProfileN]` section of a `profiles.ini`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirefoxProfile {
    /// `Name=`.
    pub name: String,
    /// The profile directory (`Path=`, joined to the ini's directory when `IsRelative=1`).
    pub dir: PathBuf,
    /// `Default=1` in the section, or named by an `[Install…]` section's `Default=`.
    pub is_default: bool,
}

/// Parses a `profiles.ini` whose directory is `root`. Sections other than `[Profile…]` and
/// `[Install…]` are ignored; a profile without `Path=` is skipped.
pub fn parse_profiles_ini(text: &str, root: &Path) -> Vec<FirefoxProfile> {
    #[derive(Default)]
    struct Section {
        name: String,
        keys: Vec<(String, String)>,
    }
    let mut sections: Vec<Section> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.push(Section {
                name: name.trim().to_string(),
                keys: Vec::new(),
            });
        } else if let (Some(section), Some((k, v))) = (sections.last_mut(), line.split_once('=')) {
            section
                .keys
                .push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let get = |s: &Section, key: &str| -> Option<String> {
        s.keys
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    let install_defaults: Vec<String> = sections
        .iter()
        .filter(|s| s.name.starts_with("Install"))
        .filter_map(|s| get(s, "Default"))
        .collect();
    sections
        .iter()
        .filter(|s| s.name.starts_with("Profile"))
        .filter_map(|s| {
            let path = get(s, "Path")?;
            let relative = get(s, "IsRelative").is_none_or(|v| v == "1");
            let dir = if relative {
                root.join(&path)
            } else {
                PathBuf::from(&path)
            };
            let is_default = get(s, "Default").is_some_and(|v| v == "1")
                || install_defaults.iter().any(|d| d == &path);
            let name = get(s, "Name").unwrap_or_else(|| path.clone());
            Some(FirefoxProfile {
                name,
                dir,
                is_default,
            })
        })
        .collect()
}

/// Every Firefox profile listed under `home` (classic, snap and flatpak installs).
pub fn firefox_profiles(home: &Path) -> Result<Vec<FirefoxProfile>> {
    let mut out = Vec::new();
    for root in FIREFOX_ROOTS {
        let root = home.join(root);
        let ini = root.join("profiles.ini");
        let text = match std::fs::read(&ini) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|_| Error::BadProfilesIni {
                path: ini.clone(),
                detail: "it is not UTF-8 text".into(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io("read", &ini)(e)),
        };
        out.extend(parse_profiles_ini(&text, &root));
    }
    Ok(out)
}

fn has_nss_db(dir: &Path) -> bool {
    dir.join("cert9.db").is_file()
}

/// Whether Firefox runs with this profile, decided as Firefox's own profile lock does
/// (nsProfileLock::LockWithSymlink on Unix): the `lock` link in the profile names `IP:+PID`,
/// and a link whose process is gone is stale. Firefox ESR 153 leaves the link behind when it
/// exits, so its mere existence said "running" long after Firefox ended (issue #17).
/// `.parentlock` stays behind after every exit too, so it says nothing by its existence.
pub(crate) fn firefox_running(profile_dir: &Path) -> bool {
    let Ok(target) = std::fs::read_link(profile_dir.join("lock")) else {
        return false;
    };
    match firefox_lock_pid(&target.to_string_lossy()) {
        Some(pid) => crate::scratch::is_running(pid),
        // Not a link Firefox wrote: say "running", which only adds a restart hint.
        None => true,
    }
}

/// The PID in a Firefox `lock` link's target, `IP:+PID` (nsProfileLock.cpp).
fn firefox_lock_pid(target: &str) -> Option<u32> {
    let (_, pid) = target.rsplit_once(":+")?;
    pid.parse().ok().filter(|&pid| pid > 0)
}

/// The stores found under `home` (Chromium databases that exist, every Firefox profile whose
/// directory exists) and the platform store on macOS and Windows.
pub fn detect_targets(home: &Path) -> Result<Vec<DetectedStore>> {
    let mut out = Vec::new();
    for rel in CHROMIUM_DB_DIRS {
        let db = home.join(rel);
        if has_nss_db(&db) {
            out.push(DetectedStore {
                target: StoreTarget::Chromium { db },
                exists: true,
                is_default: false,
                in_use: false,
            });
        }
    }
    for p in firefox_profiles(home)? {
        // profiles.ini can keep entries whose directory was deleted: no browser uses them.
        if !p.dir.is_dir() {
            continue;
        }
        out.push(DetectedStore {
            exists: has_nss_db(&p.dir),
            in_use: firefox_running(&p.dir),
            is_default: p.is_default,
            target: StoreTarget::Firefox {
                profile: p.name,
                db: p.dir,
            },
        });
    }
    if cfg!(target_os = "macos") {
        out.push(platform_store(StoreTarget::Keychain));
    }
    if cfg!(windows) {
        out.push(platform_store(StoreTarget::Windows));
    }
    Ok(out)
}

fn platform_store(target: StoreTarget) -> DetectedStore {
    DetectedStore {
        target,
        exists: true,
        is_default: false,
        in_use: false,
    }
}

/// The concrete stores a [`TargetSpec`] means under `home`.
///
/// `chromium` is every Chromium database found, or `~/.pki/nssdb` (created on install) when
/// there is none; `firefox` every profile (also those never started: their database is created
/// on install); `nss:DIR` must already hold a database.
pub fn resolve_targets(spec: &TargetSpec, home: &Path) -> Result<Vec<StoreTarget>> {
    let detected = detect_targets(home)?;
    let chromium = || -> Vec<StoreTarget> {
        let found: Vec<StoreTarget> = detected
            .iter()
            .filter(|d| matches!(d.target, StoreTarget::Chromium { .. }))
            .map(|d| d.target.clone())
            .collect();
        if found.is_empty() {
            vec![StoreTarget::Chromium {
                db: home.join(CHROMIUM_DB_DIRS[0]),
            }]
        } else {
            found
        }
    };
    let firefox: Vec<StoreTarget> = detected
        .iter()
        .filter(|d| matches!(d.target, StoreTarget::Firefox { .. }))
        .map(|d| d.target.clone())
        .collect();
    match spec {
        TargetSpec::Chromium => Ok(chromium()),
        TargetSpec::Firefox { profile: None } => {
            if firefox.is_empty() {
                Err(Error::FirefoxProfileNotFound {
                    wanted: "(any)".into(),
                    known: "none".into(),
                })
            } else {
                Ok(firefox)
            }
        }
        TargetSpec::Firefox {
            profile: Some(wanted),
        } => {
            let matching: Vec<StoreTarget> = firefox
                .iter()
                .filter(|t| match t {
                    StoreTarget::Firefox { profile, db } => {
                        profile == wanted
                            || db
                                .file_name()
                                .is_some_and(|n| n.to_string_lossy() == **wanted)
                    }
                    _ => false,
                })
                .cloned()
                .collect();
            if matching.is_empty() {
                let known: Vec<String> = firefox
                    .iter()
                    .filter_map(|t| match t {
                        StoreTarget::Firefox { profile, .. } => Some(profile.clone()),
                        _ => None,
                    })
                    .collect();
                Err(Error::FirefoxProfileNotFound {
                    wanted: wanted.clone(),
                    known: if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    },
                })
            } else {
                Ok(matching)
            }
        }
        TargetSpec::Nss { dir } => {
            if has_nss_db(dir) {
                Ok(vec![StoreTarget::Nss { db: dir.clone() }])
            } else {
                Err(Error::NssDbMissing { dir: dir.clone() })
            }
        }
        TargetSpec::Keychain => platform_only(StoreTarget::Keychain, "macOS", "macos"),
        TargetSpec::Windows => platform_only(StoreTarget::Windows, "Windows", "windows"),
        TargetSpec::All => {
            let mut all = chromium();
            all.extend(firefox);
            all.extend(
                detected
                    .iter()
                    .filter(|d| d.target.nss_db().is_none())
                    .map(|d| d.target.clone()),
            );
            Ok(all)
        }
    }
}

fn platform_only(target: StoreTarget, needs: &'static str, os: &str) -> Result<Vec<StoreTarget>> {
    if std::env::consts::OS == os {
        Ok(vec![target])
    } else {
        Err(Error::WrongPlatform {
            target: target.to_string(),
            needs,
            this: std::env::consts::OS,
        })
    }
}

#[cfg(test)]
// In tests a panic is the failure report.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn firefox_lock_links_name_a_pid() {
        assert_eq!(firefox_lock_pid("127.0.1.1:+4242"), Some(4242));
        assert_eq!(firefox_lock_pid("fe80::1:+77"), Some(77));
        assert_eq!(firefox_lock_pid("127.0.0.1:+0"), None);
        assert_eq!(firefox_lock_pid("127.0.0.1:4242"), None);
        assert_eq!(firefox_lock_pid("127.0.0.1:+abc"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_link_whose_process_ended_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!firefox_running(dir.path()), "no link, not running");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        std::os::unix::fs::symlink(format!("127.0.0.1:+{dead}"), dir.path().join("lock")).unwrap();
        assert!(!firefox_running(dir.path()), "PID {dead} has ended");
        std::fs::remove_file(dir.path().join("lock")).unwrap();
        std::os::unix::fs::symlink(
            format!("127.0.0.1:+{}", std::process::id()),
            dir.path().join("lock"),
        )
        .unwrap();
        assert!(firefox_running(dir.path()), "this process is alive");
    }

    const INI: &str = "\
[Install4F96D1932A9F858E]
Default=abcd1234.default-release
Locked=1

[Profile1]
Name=default
IsRelative=1
Path=xyz98765.default
Default=1

[Profile0]
Name=default-release
IsRelative=1
Path=abcd1234.default-release

[Profile2]
Name=Work Profile
IsRelative=0
Path=/srv/profiles/work

[Profile3]
Name=no path here

[General]
StartWithLastProfile=1
Version=2
";

    #[test]
    fn profiles_ini_relative_absolute_and_defaults() {
        let root = Path::new("/home/u/.mozilla/firefox");
        let profiles = parse_profiles_ini(INI, root);
        assert_eq!(
            profiles,
            vec![
                FirefoxProfile {
                    name: "default".into(),
                    dir: root.join("xyz98765.default"),
                    is_default: true,
                },
                FirefoxProfile {
                    name: "default-release".into(),
                    dir: root.join("abcd1234.default-release"),
                    is_default: true,
                },
                FirefoxProfile {
                    name: "Work Profile".into(),
                    dir: PathBuf::from("/srv/profiles/work"),
                    is_default: false,
                },
            ]
        );
    }

    #[test]
    fn profiles_ini_with_crlf_comments_and_missing_isrelative() {
        let text = "; comment\r\n[Profile0]\r\nName=only\r\nPath=p.only\r\n";
        let profiles = parse_profiles_ini(text, Path::new("/r"));
        assert_eq!(
            profiles,
            vec![FirefoxProfile {
                name: "only".into(),
                dir: PathBuf::from("/r/p.only"),
                is_default: false,
            }]
        );
        assert!(parse_profiles_ini("", Path::new("/r")).is_empty());
        assert!(parse_profiles_ini("garbage\n=\n[", Path::new("/r")).is_empty());
    }

    fn touch_db(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("cert9.db"), b"").unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn detects_chromium_and_every_firefox_root() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        touch_db(&h.join(".pki/nssdb"));
        touch_db(&h.join("snap/chromium/current/.pki/nssdb"));
        for (root, name) in [
            (".mozilla/firefox", "classic"),
            ("snap/firefox/common/.mozilla/firefox", "snappy"),
            (".var/app/org.mozilla.firefox/.mozilla/firefox", "flat"),
        ] {
            let root = h.join(root);
            std::fs::create_dir_all(&root).unwrap();
            std::fs::write(
                root.join("profiles.ini"),
                format!("[Profile0]\nName={name}\nIsRelative=1\nPath=p.{name}\nDefault=1\n"),
            )
            .unwrap();
        }
        touch_db(&h.join(".mozilla/firefox/p.classic"));
        // Never started: directory, no database. A listed profile without directory is stale.
        std::fs::create_dir_all(h.join("snap/firefox/common/.mozilla/firefox/p.snappy")).unwrap();
        std::fs::create_dir_all(h.join(".var/app/org.mozilla.firefox/.mozilla/firefox/p.flat"))
            .unwrap();
        std::fs::write(
            h.join(".mozilla/firefox/profiles.ini"),
            "[Profile0]\nName=classic\nIsRelative=1\nPath=p.classic\nDefault=1\n\n[Profile1]\nName=stale\nPath=p.stale\n",
        )
        .unwrap();
        // The lock link of a running Firefox: this test process stands in for it.
        std::os::unix::fs::symlink(
            format!("127.0.0.1:+{}", std::process::id()),
            h.join(".mozilla/firefox/p.classic/lock"),
        )
        .unwrap();
        let found = detect_targets(h).unwrap();
        let summary: Vec<(String, bool, bool)> = found
            .iter()
            .map(|d| (d.target.to_string(), d.exists, d.in_use))
            .collect();
        let hd = h.display();
        assert_eq!(
            summary,
            vec![
                (format!("Chromium ({hd}/.pki/nssdb)"), true, false),
                (
                    format!("Chromium ({hd}/snap/chromium/current/.pki/nssdb)"),
                    true,
                    false
                ),
                (
                    format!("Firefox profile classic ({hd}/.mozilla/firefox/p.classic)"),
                    true,
                    true
                ),
                (
                    format!(
                        "Firefox profile snappy ({hd}/snap/firefox/common/.mozilla/firefox/p.snappy)"
                    ),
                    false,
                    false
                ),
                (
                    format!("Firefox profile flat ({hd}/.var/app/org.mozilla.firefox/.mozilla/firefox/p.flat)"),
                    false,
                    false
                ),
            ]
        );

        // Resolution of the user's words.
        assert_eq!(resolve_targets(&TargetSpec::Chromium, h).unwrap().len(), 2);
        let snappy = resolve_targets(
            &TargetSpec::Firefox {
                profile: Some("p.snappy".into()),
            },
            h,
        )
        .unwrap();
        assert_eq!(snappy.len(), 1);
        assert_eq!(resolve_targets(&TargetSpec::All, h).unwrap().len(), 5);
        let err = resolve_targets(
            &TargetSpec::Firefox {
                profile: Some("nope".into()),
            },
            h,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "no Firefox profile \"nope\" (found: classic, snappy, flat)"
        );
    }

    #[test]
    fn empty_home_resolves_chromium_to_the_classic_place_and_refuses_the_rest() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        assert!(detect_targets(h).unwrap().is_empty() || cfg!(any(target_os = "macos", windows)));
        assert_eq!(
            resolve_targets(&TargetSpec::Chromium, h).unwrap(),
            vec![StoreTarget::Chromium {
                db: h.join(".pki/nssdb")
            }]
        );
        let missing = h.join("nowhere");
        assert!(matches!(
            resolve_targets(&TargetSpec::Nss { dir: missing.clone() }, h),
            Err(Error::NssDbMissing { dir }) if dir == missing
        ));
        assert!(matches!(
            resolve_targets(&TargetSpec::Firefox { profile: None }, h),
            Err(Error::FirefoxProfileNotFound { .. })
        ));
        if cfg!(target_os = "linux") {
            let err = resolve_targets(&TargetSpec::Keychain, h).unwrap_err();
            assert_eq!(
                err.to_string(),
                "the macOS login Keychain is only available on macOS; this computer runs linux"
            );
            assert!(matches!(
                resolve_targets(&TargetSpec::Windows, h),
                Err(Error::WrongPlatform {
                    needs: "Windows",
                    ..
                })
            ));
        }
    }
}
