//! Portage's `CONFIG_PROTECT` (package database stage): which merged files
//! are configuration, read from the target's own settings.
//!
//! Portage never overwrites a file under a `CONFIG_PROTECT` path unless a
//! `CONFIG_PROTECT_MASK` path covers it more closely (the longest match
//! wins, `ConfigProtect.isprotected` in portage's `portage/util`); such
//! files are meant to be edited, like rpm's `%config` and dpkg's conffiles.
//! Both variables are incremental (`-*` clears, `-PATH` removes), stacked
//! in the order portage stacks them: `etc/profile.env` (env.d), portage's
//! `make.globals`, the profile (`etc/portage/make.profile` and its
//! `parent`s, parents first), then `etc/make.conf` and
//! `etc/portage/make.conf` (a file or a directory of files). Unreadable
//! sources are skipped; with none, portage's `make.globals` defaults apply:
//! `/etc` protected, `/etc/env.d` not.
//!
//! ```
//! use rootaudit::pkgdb::portage::protect::ConfigProtect;
//! let p = ConfigProtect::default();
//! assert!(p.is_protected(b"/etc/locale.gen"));
//! assert!(!p.is_protected(b"/etc/env.d/00basic"));
//! assert!(!p.is_protected(b"/etcetera"));
//! ```

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::rootfs::Root;

/// Largest settings file read (real ones are a few KiB).
const SETTINGS_LIMIT: u64 = 1 << 20;
/// Deepest profile `parent` chain followed, and most profiles read.
const MAX_PROFILE_DEPTH: usize = 32;
const MAX_PROFILES: usize = 256;

/// The protected and masked paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProtect {
    /// `CONFIG_PROTECT`, normalized.
    pub protect: Vec<Vec<u8>>,
    /// `CONFIG_PROTECT_MASK`, normalized.
    pub mask: Vec<Vec<u8>>,
}

impl Default for ConfigProtect {
    /// Portage's `make.globals`: `/etc`, masked `/etc/env.d`.
    fn default() -> Self {
        ConfigProtect {
            protect: vec![b"/etc".to_vec()],
            mask: vec![b"/etc/env.d".to_vec()],
        }
    }
}

impl ConfigProtect {
    /// The settings of the target in `root` (see the module docs).
    pub fn read(root: &Root) -> ConfigProtect {
        let mut s = Stack::default();
        s.file(root, Path::new("etc/profile.env"));
        s.file(root, Path::new("usr/share/portage/config/make.globals"));
        let mut seen = HashSet::new();
        for profile in ["etc/portage/make.profile", "etc/make.profile"] {
            if root.lookup_follow(Path::new(profile)).is_ok() {
                s.profile(root, PathBuf::from(profile), 0, &mut seen);
                break;
            }
        }
        s.file(root, Path::new("etc/make.conf"));
        let conf = Path::new("etc/portage/make.conf");
        match root.lookup_follow(conf) {
            Ok(e) if e.stat.is_dir() => {
                for ent in root.read_dir(conf).unwrap_or_default() {
                    if !ent.name.as_encoded_bytes().starts_with(b".") {
                        s.file(root, &conf.join(&ent.name));
                    }
                }
            }
            Ok(_) => s.file(root, conf),
            Err(_) => {}
        }
        let d = ConfigProtect::default();
        ConfigProtect {
            protect: s.protect.unwrap_or(d.protect),
            mask: s.mask.unwrap_or(d.mask),
        }
    }

    /// Whether `path` (absolute) is a protected configuration file.
    pub fn is_protected(&self, path: &[u8]) -> bool {
        let protected = longest(&self.protect, path);
        let masked = longest(&self.mask, path);
        protected > masked
    }
}

/// The length of the longest of `prefixes` that is `path` or one of its
/// directories (0: none).
fn longest(prefixes: &[Vec<u8>], path: &[u8]) -> usize {
    prefixes
        .iter()
        .filter(|p| {
            p.as_slice() == b"/"
                || path
                    .strip_prefix(p.as_slice())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(b"/"))
        })
        .map(Vec::len)
        .max()
        .unwrap_or(0)
}

/// The two variables as stacked so far (`None`: never set).
#[derive(Default)]
struct Stack {
    protect: Option<Vec<Vec<u8>>>,
    mask: Option<Vec<Vec<u8>>>,
}

impl Stack {
    /// Stack the assignments of one settings file, if it can be read.
    fn file(&mut self, root: &Root, rel: &Path) {
        let Ok(data) = root.read_small(rel, SETTINGS_LIMIT) else {
            return;
        };
        for (name, value) in assignments(&data) {
            let slot = match name {
                b"CONFIG_PROTECT" => &mut self.protect,
                b"CONFIG_PROTECT_MASK" => &mut self.mask,
                _ => continue,
            };
            let list = slot.get_or_insert_with(Vec::new);
            for tok in value.split(|b| b.is_ascii_whitespace()) {
                if tok.is_empty() || tok.starts_with(b"$") {
                    continue;
                }
                if tok == b"-*" {
                    list.clear();
                } else if let Some(gone) = tok.strip_prefix(b"-") {
                    let gone = crate::pkgdb::normalize_path(&[gone]);
                    list.retain(|p| *p != gone);
                } else if tok.starts_with(b"/") {
                    let p = crate::pkgdb::normalize_path(&[tok]);
                    if !list.contains(&p) {
                        list.push(p);
                    }
                }
            }
        }
    }

    /// Stack a profile directory: its parents first, then its
    /// `make.defaults`.
    fn profile(&mut self, root: &Root, dir: PathBuf, depth: usize, seen: &mut HashSet<PathBuf>) {
        if depth > MAX_PROFILE_DEPTH || seen.len() >= MAX_PROFILES {
            return;
        }
        // Identity by inode: the same profile reached by two paths is
        // read once, and a cycle ends.
        let Ok(e) = root.lookup_follow(&dir) else {
            return;
        };
        let id = PathBuf::from(format!("{}:{}", e.stat.dev, e.stat.ino));
        if !seen.insert(id) {
            return;
        }
        if let Ok(parents) = root.read_small(&dir.join("parent"), SETTINGS_LIMIT) {
            for line in parents.split(|&b| b == b'\n') {
                let line = line.trim_ascii();
                // `repo:path` parents name another repository's profiles;
                // only relative paths are followed.
                if line.is_empty() || line.starts_with(b"#") || line.contains(&b':') {
                    continue;
                }
                let rel = Path::new(OsStr::from_bytes(line));
                self.profile(root, dir.join(rel), depth + 1, seen);
            }
        }
        self.file(root, &dir.join("make.defaults"));
    }
}

/// The `NAME=value` assignments of a shell-like settings file (portage's
/// `getconfig` subset: `export`, single or double quotes spanning lines,
/// `#` comments), in order. Anything else is skipped.
fn assignments(data: &[u8]) -> Vec<(&[u8], Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        // Start of a line: skip blanks.
        while i < data.len() && (data[i] == b' ' || data[i] == b'\t') {
            i += 1;
        }
        let line_end = data[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |n| i + n);
        let mut j = i;
        if data[j..line_end].starts_with(b"export ") {
            j += 7;
            while j < line_end && data[j] == b' ' {
                j += 1;
            }
        }
        let name_end = data[j..line_end]
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
            .map_or(line_end, |n| j + n);
        if name_end == j || name_end >= line_end || data[name_end] != b'=' {
            i = line_end + 1;
            continue;
        }
        let name = &data[j..name_end];
        let mut k = name_end + 1;
        let value;
        match data.get(k) {
            Some(&q @ (b'"' | b'\'')) => {
                k += 1;
                let end = data[k..]
                    .iter()
                    .position(|&b| b == q)
                    .map_or(data.len(), |n| k + n);
                value = data[k..end].to_vec();
                k = end + 1;
            }
            _ => {
                let end = data[k..line_end]
                    .iter()
                    .position(|&b| b.is_ascii_whitespace() || b == b'#')
                    .map_or(line_end, |n| k + n);
                value = data[k..end].to_vec();
                k = end;
            }
        }
        out.push((name, value));
        i = data[k.min(data.len())..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |n| k + n + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_lines() {
        let a = assignments(
            b"# c\nCONFIG_PROTECT=\"/a\n /b\"\nexport CONFIG_PROTECT_MASK='/c'\nX=1 # y\nbad line\n=x\n",
        );
        let names: Vec<&[u8]> = a.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            vec![&b"CONFIG_PROTECT"[..], b"CONFIG_PROTECT_MASK", b"X"]
        );
        assert_eq!(a[0].1, b"/a\n /b");
        assert_eq!(a[1].1, b"/c");
        assert_eq!(a[2].1, b"1");
        // Unterminated quotes and garbage never panic.
        let _ = assignments(b"A=\"open");
        let _ = assignments(b"A=");
        let _ = assignments(b"export ");
    }

    #[test]
    fn longest_match_wins() {
        let p = ConfigProtect {
            protect: vec![
                b"/etc".to_vec(),
                b"/etc/env.d/x".to_vec(),
                b"/var/bind".to_vec(),
            ],
            mask: vec![b"/etc/env.d".to_vec()],
        };
        assert!(p.is_protected(b"/etc/fstab"));
        assert!(!p.is_protected(b"/etc/env.d/00basic"));
        assert!(p.is_protected(b"/etc/env.d/x"));
        assert!(p.is_protected(b"/var/bind/named.conf"));
        assert!(!p.is_protected(b"/var/binder"));
        assert!(!p.is_protected(b"/usr/bin/ls"));
    }

    #[test]
    fn from_the_target() {
        let t = tempfile::tempdir().unwrap();
        let w = |p: &str, d: &str| {
            let p = t.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, d).unwrap();
        };
        let root = Root::open(t.path()).unwrap();
        assert_eq!(ConfigProtect::read(&root), ConfigProtect::default());
        w(
            "repo/profiles/base/make.defaults",
            "CONFIG_PROTECT=\"/etc /usr/share/gnupg/qualified.txt\"\nCONFIG_PROTECT_MASK=\"/etc/env.d /etc/gentoo-release\"\n",
        );
        w("repo/profiles/leaf/parent", "../base\ngentoo:other\n");
        w(
            "repo/profiles/leaf/make.defaults",
            "CONFIG_PROTECT_MASK=\"-/etc/gentoo-release\"\n",
        );
        std::fs::create_dir_all(t.path().join("etc/portage")).unwrap();
        std::os::unix::fs::symlink(
            "../../repo/profiles/leaf",
            t.path().join("etc/portage/make.profile"),
        )
        .unwrap();
        w(
            "etc/portage/make.conf",
            "CONFIG_PROTECT=\"${CONFIG_PROTECT} /var/bind\"\n",
        );
        let p = ConfigProtect::read(&root);
        assert_eq!(
            p.protect,
            vec![
                b"/etc".to_vec(),
                b"/usr/share/gnupg/qualified.txt".to_vec(),
                b"/var/bind".to_vec()
            ]
        );
        assert_eq!(p.mask, vec![b"/etc/env.d".to_vec()]);
        // A profile that is its own parent ends.
        w("repo/profiles/base/parent", "../leaf\n.\n");
        let _ = ConfigProtect::read(&root);
        w("etc/portage/make.conf", "CONFIG_PROTECT=\"-*\"\n");
        assert!(ConfigProtect::read(&root).protect.is_empty());
    }
}
