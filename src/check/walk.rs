//! Looking beyond the package database (check stage, shared by the
//! `bytecode` and `unowned` checks): a bounded, confined, parallel
//! directory walk ([`Walker`]) and an ownership test that knows the
//! target's merged-`/usr` aliases ([`Ownership`]).
//!
//! The walk lists directories only through [`Root::read_dir`], so it stays
//! inside ROOT and never follows a symlinked directory (loops are
//! impossible). It is bounded: at most [`MAX_DEPTH`] levels below where it
//! starts and [`MAX_ENTRIES`] entries per [`Walker`]; it does not enter
//! kernel pseudo-filesystems (proc, sysfs, devpts, cgroup, debugfs, autofs
//! …) mounted inside a tree. Whatever it could not look at is returned as a
//! [`WalkProblem`], which the checks report as `check-incomplete`: nothing
//! is skipped silently.
//!
//! ```no_run
//! use rootaudit::check::walk::{Visit, Walker};
//! use rootaudit::rootfs::Root;
//! let root = Root::open("/mnt/sysimage".as_ref())?;
//! let walker = Walker::new(&root);
//! let (setuid, problems) = walker.walk("/usr".as_ref(), &|path, st| {
//!     if st.is_dir() { Visit::Descend }
//!     else if st.mode & 0o4000 != 0 { Visit::Keep(path.to_path_buf()) }
//!     else { Visit::Skip }
//! });
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::model::{
    About, Evidence, Finding, FindingKind, Incomplete, OsError, Problem, Severity, Stage, Unread,
};
use crate::pkgdb::OwnershipIndex;
use crate::rootfs::{FileStat, Root};

/// Deepest directory level below a walk's start that is listed.
pub const MAX_DEPTH: usize = 48;
/// Most directory entries one [`Walker`] looks at (over all its walks).
pub const MAX_ENTRIES: u64 = 5_000_000;

/// What a visitor wants done with one entry.
#[derive(Debug)]
pub enum Visit<T> {
    /// Nothing.
    Skip,
    /// Keep this value in the walk's result.
    Keep(T),
    /// List this directory too (ignored for non-directories).
    Descend,
}

/// Something a walk could not look at.
#[derive(Debug)]
pub enum WalkProblem {
    /// A directory could not be listed.
    Unreadable {
        /// The directory, inside the target.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
    /// A directory deeper than [`MAX_DEPTH`] below the start.
    TooDeep {
        /// The directory not listed.
        path: PathBuf,
    },
    /// The walker had already looked at [`MAX_ENTRIES`] entries.
    EntryLimit {
        /// The first directory not listed.
        path: PathBuf,
    },
    /// A kernel pseudo-filesystem is mounted here.
    PseudoFs {
        /// The mount point.
        path: PathBuf,
        /// Its type.
        fs: &'static str,
    },
}

impl WalkProblem {
    /// The directory concerned.
    pub fn path(&self) -> &Path {
        match self {
            WalkProblem::Unreadable { path, .. }
            | WalkProblem::TooDeep { path }
            | WalkProblem::EntryLimit { path }
            | WalkProblem::PseudoFs { path, .. } => path,
        }
    }

    /// A `check-incomplete` finding saying what `check` did not look at.
    /// Unreadable directories are `low` (something kept the audit out);
    /// the rest `info`.
    pub fn finding(&self, check: Stage) -> Finding {
        let (sev, problem) = match self {
            WalkProblem::Unreadable { error, .. } => (
                Severity::Low,
                Problem::Unreadable {
                    what: Unread::Directory,
                    object: None,
                    error: OsError::from(error),
                },
            ),
            WalkProblem::TooDeep { .. } => (
                Severity::Info,
                Problem::TooDeep {
                    max_depth: MAX_DEPTH as u64,
                },
            ),
            WalkProblem::EntryLimit { .. } => (
                Severity::Info,
                Problem::EntryLimit {
                    max_entries: MAX_ENTRIES,
                },
            ),
            WalkProblem::PseudoFs { fs, .. } => (
                Severity::Info,
                Problem::PseudoFs {
                    fs: (*fs).to_string(),
                },
            ),
        };
        Finding::new(
            FindingKind::CheckIncomplete,
            sev,
            About::path(self.path()).scope(check.as_str()),
            Evidence::Incomplete(Incomplete { check, problem }),
        )
    }
}

/// A bounded, confined, parallel directory walker (runs in the current
/// rayon pool).
pub struct Walker<'a> {
    root: &'a Root,
    entries: AtomicU64,
    limit_hit: AtomicBool,
    max_entries: u64,
}

/// What one directory contributed.
type Part<T> = (Vec<T>, Vec<WalkProblem>);

impl<'a> Walker<'a> {
    /// A walker over `root` with the default limits.
    pub fn new(root: &'a Root) -> Walker<'a> {
        Walker::with_limit(root, MAX_ENTRIES)
    }

    /// A walker that looks at no more than `max_entries` entries.
    pub fn with_limit(root: &'a Root, max_entries: u64) -> Walker<'a> {
        Walker {
            root,
            entries: AtomicU64::new(0),
            limit_hit: AtomicBool::new(false),
            max_entries,
        }
    }

    /// Entries looked at so far.
    pub fn entries_seen(&self) -> u64 {
        self.entries.load(Ordering::Relaxed)
    }

    /// Walk the tree at `start` (a path inside the target; it must be a
    /// directory, and is not followed if it is a symlink). `visit` is called
    /// for every entry below `start`, in parallel, with the entry's path
    /// inside the target and its `lstat`. A missing `start` yields nothing.
    pub fn walk<T: Send>(
        &self,
        start: &Path,
        visit: &(dyn Fn(&Path, &FileStat) -> Visit<T> + Sync),
    ) -> (Vec<T>, Vec<WalkProblem>) {
        let start = Path::new("/").join(start);
        let st = match self.root.lstat(&start) {
            Ok(st) => st,
            Err(e) if is_absent(&e) => return (Vec::new(), Vec::new()),
            Err(error) => {
                return (
                    Vec::new(),
                    vec![WalkProblem::Unreadable { path: start, error }],
                );
            }
        };
        if !st.is_dir() {
            return (Vec::new(), Vec::new());
        }
        self.dir(&start, st.dev, 0, visit)
    }

    /// List one directory (no recursion): `visit` decides for each entry;
    /// [`Visit::Descend`] is ignored.
    pub fn list<T: Send>(
        &self,
        dir: &Path,
        visit: &(dyn Fn(&Path, &FileStat) -> Visit<T> + Sync),
    ) -> (Vec<T>, Vec<WalkProblem>) {
        let dir = Path::new("/").join(dir);
        let entries = match self.root.read_dir(&dir) {
            Ok(e) => e,
            Err(e) if is_absent(&e) => return (Vec::new(), Vec::new()),
            Err(error) => {
                return (
                    Vec::new(),
                    vec![WalkProblem::Unreadable { path: dir, error }],
                );
            }
        };
        self.entries
            .fetch_add(entries.len() as u64, Ordering::Relaxed);
        let kept = entries
            .into_iter()
            .filter_map(|e| match visit(&dir.join(&e.name), &e.stat) {
                Visit::Keep(t) => Some(t),
                _ => None,
            })
            .collect();
        (kept, Vec::new())
    }

    fn dir<T: Send>(
        &self,
        dir: &Path,
        dev: u64,
        depth: usize,
        visit: &(dyn Fn(&Path, &FileStat) -> Visit<T> + Sync),
    ) -> Part<T> {
        let entries = match self.root.read_dir(dir) {
            Ok(e) => e,
            Err(e) if is_absent(&e) => return (Vec::new(), Vec::new()),
            Err(error) => {
                return (
                    Vec::new(),
                    vec![WalkProblem::Unreadable {
                        path: dir.to_path_buf(),
                        error,
                    }],
                );
            }
        };
        let seen = self
            .entries
            .fetch_add(entries.len() as u64, Ordering::Relaxed);
        if seen + entries.len() as u64 > self.max_entries {
            if self.limit_hit.swap(true, Ordering::Relaxed) {
                return (Vec::new(), Vec::new());
            }
            return (
                Vec::new(),
                vec![WalkProblem::EntryLimit {
                    path: dir.to_path_buf(),
                }],
            );
        }
        let mut kept = Vec::new();
        let mut problems = Vec::new();
        let mut subdirs: Vec<(PathBuf, u64)> = Vec::new();
        for e in entries {
            let path = dir.join(&e.name);
            match visit(&path, &e.stat) {
                Visit::Keep(t) => kept.push(t),
                Visit::Descend if e.stat.is_dir() => {
                    if depth + 1 > MAX_DEPTH {
                        problems.push(WalkProblem::TooDeep { path });
                    } else if e.stat.dev != dev
                        && let Some(fs) = self.pseudo_fs(&path)
                    {
                        problems.push(WalkProblem::PseudoFs { path, fs });
                    } else {
                        subdirs.push((path, e.stat.dev));
                    }
                }
                _ => {}
            }
        }
        let (k, p) = subdirs
            .par_iter()
            .map(|(d, dev)| self.dir(d, *dev, depth + 1, visit))
            .reduce(
                || (Vec::new(), Vec::new()),
                |mut a, mut b| {
                    a.0.append(&mut b.0);
                    a.1.append(&mut b.1);
                    a
                },
            );
        kept.extend(k);
        problems.extend(p);
        (kept, problems)
    }

    /// The pseudo-filesystem mounted at `path`, if it is one.
    fn pseudo_fs(&self, path: &Path) -> Option<&'static str> {
        let e = self.root.lookup(path).ok()?;
        crate::rootfs::pseudo_fs(e.fd())
    }
}

/// Not there (or a non-directory in the way): nothing to walk.
pub fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    ) || e.raw_os_error() == Some(rustix::io::Errno::NOTDIR.raw_os_error())
}

/// "Does some package own this path?", aware of directory symlinks at the
/// top of the target (`/bin → usr/bin`, `/lib → usr/lib`, `/usr/sbin →
/// bin`): a package that registered `/bin/ls` owns the `/usr/bin/ls` a walk
/// of `/usr` finds.
pub struct Ownership<'a> {
    index: &'a OwnershipIndex,
    /// (canonical directory, alias of it).
    aliases: Vec<(PathBuf, PathBuf)>,
}

impl<'a> Ownership<'a> {
    /// Learn the aliases of `root` (symlinked directories directly in `/`
    /// and `/usr`).
    pub fn new(root: &Root, index: &'a OwnershipIndex) -> Ownership<'a> {
        let mut links: Vec<(PathBuf, PathBuf)> = Vec::new(); // (link, raw target)
        for dir in ["/", "/usr"] {
            let Ok(entries) = root.read_dir(Path::new(dir)) else {
                continue;
            };
            for e in entries.iter().filter(|e| e.stat.is_symlink()) {
                let link = Path::new(dir).join(&e.name);
                let Ok(target) = root.lookup(&link).and_then(|x| x.read_link()) else {
                    continue;
                };
                let target = Path::new(std::ffi::OsStr::from_bytes(&target));
                let abs = normalize(&Path::new(dir).join(target));
                links.push((link, abs));
            }
        }
        // Resolve chains (`/sbin → usr/sbin → bin`) through the other links.
        let mut aliases = Vec::new();
        for (link, target) in &links {
            let mut t = target.clone();
            for _ in 0..8 {
                let Some((l, lt)) = links.iter().find(|(l, _)| t.starts_with(l) && l != link)
                else {
                    break;
                };
                let rest = t.strip_prefix(l).unwrap_or(Path::new("")).to_path_buf();
                t = join_rest(lt, &rest);
            }
            let is_dir = root.lookup_follow(&t).is_ok_and(|e| e.stat.is_dir());
            if is_dir && &t != link && !t.starts_with(link) {
                aliases.push((t, link.clone()));
            }
        }
        Ownership { index, aliases }
    }

    /// An ownership test without aliases.
    pub fn plain(index: &'a OwnershipIndex) -> Ownership<'a> {
        Ownership {
            index,
            aliases: Vec::new(),
        }
    }

    /// True when some package registers `path` or one of its aliases.
    pub fn is_owned(&self, path: &Path) -> bool {
        if self.index.owner_count(path) > 0 {
            return true;
        }
        let canonical = self.canonical(path);
        if canonical != path && self.index.owner_count(&canonical) > 0 {
            return true;
        }
        self.aliases.iter().any(|(target, link)| {
            canonical
                .strip_prefix(target)
                .is_ok_and(|rest| self.index.owner_count(&join_rest(link, rest)) > 0)
        })
    }

    /// `path` with a leading alias replaced by the directory it names
    /// (`/lib/python3/x` → `/usr/lib/python3/x`).
    pub fn canonical(&self, path: &Path) -> PathBuf {
        for (target, link) in &self.aliases {
            if let Ok(rest) = path.strip_prefix(link) {
                return join_rest(target, rest);
            }
        }
        path.to_path_buf()
    }

    /// The aliases found, as (directory, alias) pairs.
    pub fn aliases(&self) -> &[(PathBuf, PathBuf)] {
        &self.aliases
    }
}

fn join_rest(base: &Path, rest: &Path) -> PathBuf {
    if rest.as_os_str().is_empty() {
        base.to_path_buf()
    } else {
        base.join(rest)
    }
}

/// Lexically normalise an absolute path (`.` and `..` removed; `..` at `/`
/// stays at `/`, as inside the confined root).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn walk_is_bounded_and_confined() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let mut deep = r.join("usr/share");
        for i in 0..(MAX_DEPTH + 3) {
            deep.push(format!("d{i}"));
        }
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("too-deep"), b"x").unwrap();
        std::fs::write(r.join("usr/share/a"), b"x").unwrap();
        symlink("/", r.join("usr/share/loop")).unwrap();
        symlink("../..", r.join("usr/share/up")).unwrap();
        let root = Root::open(r).unwrap();
        let w = Walker::new(&root);
        let (files, problems) = w.walk(Path::new("/usr"), &|p, st| {
            if st.is_dir() {
                Visit::Descend
            } else {
                Visit::Keep(p.to_path_buf())
            }
        });
        let mut files = files;
        files.sort();
        assert_eq!(
            files,
            [
                PathBuf::from("/usr/share/a"),
                PathBuf::from("/usr/share/loop"),
                PathBuf::from("/usr/share/up")
            ]
        );
        assert_eq!(problems.len(), 1);
        assert!(matches!(problems[0], WalkProblem::TooDeep { .. }));
        assert_eq!(
            problems[0].finding(Stage::Unowned).kind,
            FindingKind::CheckIncomplete
        );

        // The entry limit stops the walk and says so once.
        let w = Walker::with_limit(&root, 3);
        let (_, problems) = w.walk(Path::new("/usr"), &|_, st| {
            if st.is_dir() {
                Visit::Descend::<()>
            } else {
                Visit::Skip
            }
        });
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, WalkProblem::EntryLimit { .. }))
        );
        // A missing start is nothing, not an error.
        let (v, p) = Walker::new(&root).walk(Path::new("/nope"), &|_, _| Visit::Keep(()));
        assert!(v.is_empty() && p.is_empty());
    }

    #[test]
    fn ownership_follows_merged_usr_aliases() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::create_dir_all(r.join("usr/bin")).unwrap();
        std::fs::create_dir_all(r.join("usr/lib")).unwrap();
        symlink("usr/bin", r.join("bin")).unwrap();
        symlink("usr/sbin", r.join("sbin")).unwrap();
        symlink("bin", r.join("usr/sbin")).unwrap();
        symlink("/usr/lib", r.join("lib")).unwrap();
        symlink("nowhere", r.join("dangling")).unwrap();
        let root = Root::open(r).unwrap();
        let files = ["/bin/ls", "/sbin/init", "/lib/libc.so.6", "/usr/bin/cat"]
            .map(crate::testutil::file_record)
            .to_vec();
        let pkgs = vec![crate::testutil::package(1, "p", files)];
        let index = OwnershipIndex::build(&pkgs);
        let own = Ownership::new(&root, &index);
        for p in [
            "/usr/bin/ls",
            "/usr/bin/init",
            "/usr/lib/libc.so.6",
            "/bin/cat",
            "/usr/bin/cat",
        ] {
            assert!(own.is_owned(Path::new(p)), "{p}");
        }
        assert!(!own.is_owned(Path::new("/usr/bin/evil")));
        assert_eq!(
            own.canonical(Path::new("/lib/python3/x")),
            PathBuf::from("/usr/lib/python3/x")
        );
        assert_eq!(
            own.canonical(Path::new("/sbin/x")),
            PathBuf::from("/usr/bin/x")
        );
    }
}
