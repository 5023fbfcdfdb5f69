//! The `unowned` check (check stage): files in package-managed trees that
//! no package registered.
//!
//! Package verification only sees what packages installed; a dropped
//! binary, a setuid copy of a shell or a library planted next to the real
//! ones is invisible to it. This check walks the package-managed trees
//! ([`UnownedTrees`], by default [`DEFAULT_TREES`] minus
//! [`DEFAULT_EXCLUDES`]) and asks the ownership index about every
//! non-directory it finds (aware of merged-`/usr` aliases, so `/usr/bin/ls`
//! is owned by the package that registered `/bin/ls`):
//!
//! | unowned file | kind | severity |
//! |---|---|---|
//! | regular file with the setuid or setgid bit | `unowned-setuid` | critical |
//! | in a `bin`/`sbin`/`lib*`/`libexec` directory or a run-parts directory of `/etc`: an ELF file or `#!` script with an execute bit, or an ELF executable or shared object in a `lib*` directory whatever its mode | `unowned-executable` | high |
//! | anything else (files, symlinks, device nodes) | `unowned-file` | info; the report sinks summarise them per directory tree unless `--verbose` |
//!
//! Directories are walked, not reported. `.pyc`/`.pyo` files belong to the
//! `bytecode` check and are not counted here, and the directory holding the
//! package database (`/usr/lib/sysimage/rpm`, `/var/lib/rpm`) is not walked.

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use super::ScanContext;
use super::walk::{Ownership, Visit, Walker, is_absent};
use crate::model::{
    About, Account, Bytes, Evidence, FileAttrs, Finding, FindingKind, Incomplete, OsError, Problem,
    Severity, Stage, UnownedEvidence, UnownedWhat, Unread,
};
use crate::rootfs::{FileStat, Root};

/// The package-managed trees walked by default (a trailing `*` in the last
/// component matches directory names starting with what precedes it).
/// `/bin`, `/sbin` and `/lib*` are skipped where they are symlinks into
/// `/usr` (merged `/usr`), as a walk never follows a symlinked directory.
pub const DEFAULT_TREES: &[&str] = &[
    "/usr",
    "/bin",
    "/sbin",
    "/lib*",
    "/boot",
    "/etc/cron.d",
    "/etc/cron.hourly",
    "/etc/cron.daily",
    "/etc/cron.weekly",
    "/etc/cron.monthly",
    "/etc/init.d",
    "/etc/rc.d",
    "/etc/ld.so.conf.d",
    "/etc/modprobe.d",
    "/etc/modules-load.d",
    "/etc/NetworkManager/dispatcher.d",
    "/etc/pam.d",
    "/etc/profile.d",
    "/etc/security",
    "/etc/sudoers.d",
    "/etc/systemd/system",
    "/etc/udev/rules.d",
    "/etc/update-motd.d",
    "/etc/xdg/autostart",
];

/// Subtrees of [`DEFAULT_TREES`] left out by default: the administrator's
/// own space.
pub const DEFAULT_EXCLUDES: &[&str] = &["/usr/local"];

/// Directories of `/etc` whose files are run as programs (run-parts, init
/// scripts, dispatcher hooks).
const ETC_EXEC_DIRS: &[&str] = &[
    "/etc/cron.hourly",
    "/etc/cron.daily",
    "/etc/cron.weekly",
    "/etc/cron.monthly",
    "/etc/init.d",
    "/etc/rc.d",
    "/etc/update-motd.d",
    "/etc/NetworkManager/dispatcher.d",
];

/// A tree specification that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TreeSpecError {
    /// Trees are absolute paths inside the target.
    #[error("tree {0:?} is not an absolute path")]
    NotAbsolute(String),
    /// `*` may only end the last component.
    #[error("tree {0:?}: `*` may only end the last component")]
    BadGlob(String),
}

/// Which trees the `unowned` check walks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnownedTrees {
    include: Vec<String>,
    exclude: Vec<PathBuf>,
}

impl Default for UnownedTrees {
    fn default() -> Self {
        UnownedTrees {
            include: DEFAULT_TREES.iter().map(|s| s.to_string()).collect(),
            exclude: DEFAULT_EXCLUDES.iter().map(PathBuf::from).collect(),
        }
    }
}

impl UnownedTrees {
    /// Parse a list such as `--unowned-trees` takes: absolute paths inside
    /// the target to walk; an entry starting with `!` excludes a subtree.
    /// A trailing `*` in the last component matches directory names.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<UnownedTrees, TreeSpecError> {
        let mut t = UnownedTrees {
            include: Vec::new(),
            exclude: Vec::new(),
        };
        for item in items {
            let s = item.as_ref().trim();
            if s.is_empty() {
                continue;
            }
            let (neg, p) = match s.strip_prefix('!') {
                Some(p) => (true, p),
                None => (false, s),
            };
            if !p.starts_with('/') {
                return Err(TreeSpecError::NotAbsolute(s.to_string()));
            }
            let star = p.find('*');
            if star.is_some_and(|i| i != p.len() - 1 || neg) {
                return Err(TreeSpecError::BadGlob(s.to_string()));
            }
            if neg {
                t.exclude.push(PathBuf::from(p));
            } else {
                t.include.push(p.to_string());
            }
        }
        Ok(t)
    }

    /// The trees as given (globs unexpanded).
    pub fn include(&self) -> &[String] {
        &self.include
    }

    /// The excluded subtrees.
    pub fn exclude(&self) -> &[PathBuf] {
        &self.exclude
    }

    /// The directories to walk in `root`: globs expanded to real
    /// directories (not symlinks), duplicates and trees inside other trees
    /// dropped, excluded trees left out.
    pub fn expand(&self, root: &Root) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        for spec in &self.include {
            match spec.strip_suffix('*') {
                Some(prefix) => {
                    let p = Path::new(prefix);
                    let (dir, start) = if prefix.ends_with('/') {
                        (p, &b""[..])
                    } else {
                        (
                            p.parent().unwrap_or(Path::new("/")),
                            p.file_name().map(|n| n.as_bytes()).unwrap_or(b""),
                        )
                    };
                    if let Ok(es) = root.read_dir(dir) {
                        out.extend(
                            es.into_iter()
                                .filter(|e| e.stat.is_dir() && e.name.as_bytes().starts_with(start))
                                .map(|e| dir.join(e.name)),
                        );
                    }
                }
                None => out.push(super::walk::normalize(Path::new(spec))),
            }
        }
        out.sort();
        out.dedup();
        let all = out.clone();
        out.retain(|p| {
            !all.iter().any(|q| q != p && p.starts_with(q))
                && !self.exclude.iter().any(|x| p.starts_with(x))
        });
        out
    }
}

/// Options of the `unowned` check.
#[derive(Clone, Debug, Default)]
pub struct UnownedOptions {
    /// Which trees to walk.
    pub trees: UnownedTrees,
}

/// Run the check (inside the current rayon pool).
pub fn run(ctx: &ScanContext<'_>, opts: &UnownedOptions) -> Vec<Finding> {
    let root = ctx.root;
    let own = Ownership::new(root, ctx.index);
    let walker = Walker::new(root);
    let exclude = opts.trees.exclude();
    // The package database's own directory is the package manager's state,
    // not an unaccounted file (matched by inode: `/var/lib/rpm` is often a
    // symlink to `/usr/lib/sysimage/rpm`).
    let db_dirs: Vec<(u64, u64)> = std::iter::once(&ctx.db.path)
        .chain(ctx.db.also_found.iter().map(|(_, p)| p))
        .filter_map(|p| p.parent())
        .filter_map(|d| root.lookup_follow(d).ok())
        .map(|e| (e.stat.dev, e.stat.ino))
        .collect();
    let mut found: Vec<(PathBuf, FileStat, PathBuf)> = Vec::new();
    let mut findings = Vec::new();
    for tree in opts.trees.expand(root) {
        let (f, problems) = walker.walk(&tree, &|path, st| {
            if exclude.iter().any(|x| path.starts_with(x)) {
                return Visit::Skip;
            }
            if st.is_dir() {
                if db_dirs.contains(&(st.dev, st.ino)) {
                    return Visit::Skip;
                }
                return Visit::Descend;
            }
            let name = path.file_name().map(|n| n.as_bytes()).unwrap_or(b"");
            if name.ends_with(b".pyc") || name.ends_with(b".pyo") || own.is_owned(path) {
                return Visit::Skip;
            }
            Visit::Keep((path.to_path_buf(), *st, tree.clone()))
        });
        found.extend(f);
        findings.extend(problems.iter().map(|p| p.finding(Stage::Unowned)));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));

    let items: Vec<Finding> = found
        .par_iter()
        .map(|(path, st, tree)| classify(ctx, path, st, tree))
        .collect();
    findings.extend(items);
    findings
}

/// What an unowned file is, by its mode, its place and its first bytes.
/// Plain files carry the tree a summary would name (`unowned-file`
/// findings are rolled up per tree by the report sinks unless listed).
fn classify(ctx: &ScanContext<'_>, path: &Path, st: &FileStat, tree: &Path) -> Finding {
    let account = |name: Option<&str>, id: u32| match name {
        Some(n) => Account::Name(Bytes::from(n)),
        None => Account::Id(id),
    };
    let mut actual = FileAttrs {
        mode: Some(st.mode & 0xffff),
        size: Some(st.size),
        mtime: Some(st.mtime),
        ..FileAttrs::default()
    };
    let owner = account(ctx.accounts.user_name(st.uid), st.uid);
    let key = summary_key(tree, path);
    let mk = |kind, sev, what, actual: FileAttrs| {
        Finding::new(
            kind,
            sev,
            About::path(path),
            Evidence::Unowned(Box::new(UnownedEvidence {
                what,
                tree: Bytes::from(key.as_path()),
                actual,
            })),
        )
    };
    if st.is_regular() && st.mode & 0o6000 != 0 {
        actual.user = Some(owner);
        actual.group = Some(account(ctx.accounts.group_name(st.gid), st.gid));
        return mk(
            FindingKind::UnownedSetuid,
            Severity::Critical,
            UnownedWhat::Setuid,
            actual,
        );
    }
    let exec_bit = st.mode & 0o111 != 0;
    let lib = in_lib_dir(path);
    if st.is_regular() && in_exec_dir(path) && (exec_bit || lib) {
        match first_bytes(ctx.root, path) {
            Ok(head) => {
                if let Some(what) = executable_kind(&head, exec_bit, lib) {
                    actual.user = Some(owner);
                    return mk(FindingKind::UnownedExecutable, Severity::High, what, actual);
                }
            }
            Err(e) if is_absent(&e) => {}
            Err(e) => {
                return Finding::new(
                    FindingKind::CheckIncomplete,
                    Severity::Low,
                    About::path(path).scope("unowned"),
                    Evidence::Incomplete(Incomplete {
                        check: Stage::Unowned,
                        problem: Problem::Unreadable {
                            what: Unread::ExecutableCandidate,
                            object: None,
                            error: OsError::from(&e),
                        },
                    }),
                );
            }
        }
    }
    let what = match st.mode & crate::rootfs::S_IFMT {
        crate::rootfs::S_IFLNK => UnownedWhat::Symlink,
        crate::rootfs::S_IFREG => UnownedWhat::File,
        crate::rootfs::S_IFCHR | crate::rootfs::S_IFBLK => UnownedWhat::Device,
        crate::rootfs::S_IFIFO => UnownedWhat::Fifo,
        _ => UnownedWhat::Special,
    };
    mk(FindingKind::UnownedFile, Severity::Info, what, actual)
}

/// ELF with an exec bit or in a lib directory (executables and shared
/// objects), or a `#!` script with an exec bit.
fn executable_kind(head: &[u8], exec_bit: bool, lib: bool) -> Option<UnownedWhat> {
    if head.starts_with(b"\x7fELF") && head.len() >= 18 {
        let e_type = match head[5] {
            2 => u16::from_be_bytes([head[16], head[17]]),
            _ => u16::from_le_bytes([head[16], head[17]]),
        };
        return match e_type {
            2 => Some(UnownedWhat::ElfExecutable),
            3 => Some(UnownedWhat::ElfSharedObject),
            _ if exec_bit => Some(UnownedWhat::ElfOther),
            _ => None,
        }
        .filter(|_| exec_bit || lib);
    }
    (exec_bit && head.starts_with(b"#!")).then_some(UnownedWhat::Script)
}

fn first_bytes(root: &Root, path: &Path) -> std::io::Result<Vec<u8>> {
    let e = root.lookup(path)?;
    let f = root.open_regular(&e, path)?;
    let mut buf = Vec::with_capacity(64);
    f.take(64).read_to_end(&mut buf)?;
    Ok(buf)
}

fn dir_components(path: &Path) -> impl Iterator<Item = &[u8]> {
    path.parent()
        .into_iter()
        .flat_map(|p| p.components())
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.as_bytes()),
            _ => None,
        })
}

fn is_lib_name(c: &[u8]) -> bool {
    matches!(c, b"lib" | b"lib32" | b"lib64" | b"libx32" | b"libexec")
}

/// Below a `lib*` or `libexec` directory.
fn in_lib_dir(path: &Path) -> bool {
    dir_components(path).any(is_lib_name)
}

/// Below a `bin`, `sbin`, `lib*` or `libexec` directory, or in one of
/// `/etc`'s run-parts directories.
fn in_exec_dir(path: &Path) -> bool {
    dir_components(path).any(|c| c == b"bin" || c == b"sbin" || is_lib_name(c))
        || ETC_EXEC_DIRS.iter().any(|d| path.starts_with(d))
}

/// The directory an unowned file is summarised under: its first two levels
/// (`/usr/share`), or the walked tree when that is deeper
/// (`/etc/systemd/system`), never below the file's own directory.
fn summary_key(tree: &Path, path: &Path) -> PathBuf {
    let depth = tree.components().count().max(3);
    path.parent()
        .unwrap_or(tree)
        .components()
        .take(depth)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_specs() {
        let t = UnownedTrees::parse(&["/usr", "!/usr/local", "/lib*", " "]).unwrap();
        assert_eq!(t.include(), ["/usr", "/lib*"]);
        assert_eq!(t.exclude(), [PathBuf::from("/usr/local")]);
        assert!(matches!(
            UnownedTrees::parse(&["usr"]),
            Err(TreeSpecError::NotAbsolute(_))
        ));
        assert!(matches!(
            UnownedTrees::parse(&["/l*b"]),
            Err(TreeSpecError::BadGlob(_))
        ));
        assert!(
            UnownedTrees::default()
                .include()
                .contains(&"/usr".to_string())
        );
    }

    #[test]
    fn expand_globs_and_nesting() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        for d in [
            "usr/lib",
            "usr/local/bin",
            "lib64",
            "lib32",
            "libfoo",
            "boot",
        ] {
            std::fs::create_dir_all(r.join(d)).unwrap();
        }
        std::os::unix::fs::symlink("usr/lib", r.join("lib")).unwrap();
        std::fs::write(r.join("libfile"), b"").unwrap();
        let root = Root::open(r).unwrap();
        let trees = UnownedTrees::parse(&["/usr", "/usr/lib", "/lib*", "/boot", "!/boot"])
            .unwrap()
            .expand(&root);
        assert_eq!(
            trees,
            ["/lib32", "/lib64", "/libfoo", "/usr"].map(PathBuf::from)
        );
    }

    #[test]
    fn executables_and_keys() {
        let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0".to_vec();
        assert_eq!(
            executable_kind(&elf, true, false),
            Some(UnownedWhat::ElfSharedObject)
        );
        assert!(executable_kind(&elf, false, true).is_some());
        assert!(executable_kind(&elf, false, false).is_none());
        elf[16] = 1; // ET_REL: a kernel module or object file
        assert!(executable_kind(&elf, false, true).is_none());
        assert!(executable_kind(b"#!/bin/sh\n", true, false).is_some());
        assert!(executable_kind(b"#!/bin/sh\n", false, true).is_none());
        assert!(executable_kind(b"plain", true, true).is_none());
        assert!(in_exec_dir(Path::new("/usr/lib/x86_64-linux-gnu/libx.so")));
        assert!(in_exec_dir(Path::new("/etc/cron.daily/job")));
        assert!(!in_exec_dir(Path::new("/usr/share/doc/x")));
        assert_eq!(
            summary_key(Path::new("/usr"), Path::new("/usr/share/mime/x/y")),
            Path::new("/usr/share")
        );
        assert_eq!(
            summary_key(Path::new("/boot"), Path::new("/boot/vmlinuz")),
            Path::new("/boot")
        );
        assert_eq!(
            summary_key(
                Path::new("/etc/systemd/system"),
                Path::new("/etc/systemd/system/a.wants/b.service")
            ),
            Path::new("/etc/systemd/system")
        );
    }
}
