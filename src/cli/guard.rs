//! The command line's own confinement: nothing rootaudit writes may land
//! in the audited root, and no key it trusts may come from it.
//!
//! A path is judged where it really leads: symlinks are followed to their
//! final target (a dangling one too: creating it would create its target),
//! and the tree it ends in is compared with ROOT by device and inode, so a
//! bind mount of the target elsewhere is still the target.

use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// ROOT, to test other paths against.
pub struct RootGuard {
    root: PathBuf,
    id: (u64, u64),
}

impl RootGuard {
    /// A guard for `root`; `None` when it cannot be resolved (the scan
    /// reports that) or is `/` (everything is inside it: auditing the
    /// running system has nowhere else to write).
    pub fn new(root: &Path) -> Option<RootGuard> {
        let root = root.canonicalize().ok()?;
        if root == Path::new("/") {
            return None;
        }
        let meta = std::fs::metadata(&root).ok()?;
        Some(RootGuard {
            id: (meta.dev(), meta.ino()),
            root,
        })
    }

    /// ROOT, resolved.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// True when `path` leads into ROOT's tree.
    pub fn contains(&self, path: &Path) -> bool {
        let real = resolve(path);
        real.ancestors()
            .any(|a| std::fs::metadata(a).is_ok_and(|m| (m.dev(), m.ino()) == self.id))
    }
}

/// Where `path` leads: its final symlinks followed (at most 40), then the
/// longest existing prefix made canonical, the rest appended.
fn resolve(path: &Path) -> PathBuf {
    let mut p = absolute(path);
    for _ in 0..40 {
        match std::fs::read_link(&p) {
            Ok(target) => {
                let base = p.parent().map(Path::to_path_buf).unwrap_or_default();
                p = absolute(&base.join(target));
            }
            Err(_) => break,
        }
    }
    let mut rest: Vec<PathBuf> = Vec::new();
    let mut cur = p.clone();
    loop {
        if let Ok(c) = cur.canonicalize() {
            return rest.iter().rev().fold(c, |acc, r| acc.join(r));
        }
        match (cur.parent(), cur.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(PathBuf::from(name));
                cur = parent.to_path_buf();
            }
            _ => return p,
        }
    }
}

fn absolute(p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    // Lexically drop `.`; `..` is left to canonicalize (symlinks decide it).
    joined
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_and_new_paths_are_judged_where_they_lead() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        let out = t.path().join("out");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        let g = RootGuard::new(&root).unwrap();
        assert!(g.contains(&root.join("etc/x")));
        assert!(g.contains(&root.join("new/dir/file")));
        assert!(!g.contains(&out.join("report.json")));
        std::os::unix::fs::symlink(root.join("etc/passwd"), out.join("link")).unwrap();
        assert!(g.contains(&out.join("link")), "dangling link into ROOT");
        std::os::unix::fs::symlink(&root, out.join("dirlink")).unwrap();
        assert!(g.contains(&out.join("dirlink/report.json")));
        std::os::unix::fs::symlink("../root/etc", out.join("rel")).unwrap();
        assert!(g.contains(&out.join("rel")));
        assert!(RootGuard::new(Path::new("/")).is_none());
    }
}
