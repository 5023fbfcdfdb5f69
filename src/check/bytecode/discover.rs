//! Bytecode discovery (check stage, `bytecode`): where Python code lives in
//! the target and which files there the check looks at.
//!
//! [`python_roots`] names the trees to walk and [`PackagedCode`] the
//! directories where packages registered Python source; [`visit`] keeps
//! each pyc, `.pth`, `sitecustomize.py`/`usercustomize.py` and standard
//! library `os.py` as a [`Candidate`], with the tree ([`tree_key`]) it is
//! summarised under. [`installed_pythons`] lists the target's CPython
//! versions. What each candidate is, is decided in [`super::rules`].
//!
//! ```no_run
//! use rootaudit::check::bytecode::{installed_pythons, python_roots};
//! use rootaudit::rootfs::Root;
//! let root = Root::open("/".as_ref())?;
//! println!("{:?} {:?}", python_roots(&root), installed_pythons(&root));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::pyc::PyVersion;
use crate::check::walk::{Ownership, Visit};
use crate::model::PackageRef;
use crate::pkgdb::{OwnershipIndex, Package};
use crate::rootfs::{FileStat, Root};

/// What the walk keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CandKind {
    /// A `.pyc` / `.pyo`.
    Pyc,
    /// A `.pth` in a site directory.
    Pth,
    /// `sitecustomize.py` / `usercustomize.py`.
    Customize,
    /// `os.py` in a `pythonX.Y` directory: a standard library.
    Stdlib(PyVersion),
}

/// A file the walk kept, for the check to look at.
#[derive(Debug)]
pub(super) struct Candidate {
    pub(super) path: PathBuf,
    pub(super) kind: CandKind,
    /// The tree it is summarised under.
    pub(super) tree: PathBuf,
}

/// Where Python code plausibly lives in a target: every `python*`
/// directory in `/usr/lib*` and `/usr/local/lib*`, all of `/opt`, and the
/// user sites `/root/.local/lib/python*` and `/home/*/.local/lib/python*`.
/// (Directories where packages registered `.py` files are added by the
/// check itself.)
pub fn python_roots(root: &Root) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let dirs = |p: &Path| -> Vec<PathBuf> {
        root.read_dir(p)
            .map(|es| {
                es.into_iter()
                    .filter(|e| e.stat.is_dir())
                    .map(|e| p.join(e.name))
                    .collect()
            })
            .unwrap_or_default()
    };
    let named = |p: &PathBuf, prefix: &[u8]| {
        p.file_name()
            .is_some_and(|n| n.as_bytes().starts_with(prefix))
    };
    for base in ["/usr", "/usr/local"] {
        for lib in dirs(Path::new(base)).iter().filter(|p| named(p, b"lib")) {
            out.extend(dirs(lib).into_iter().filter(|p| named(p, b"python")));
        }
    }
    if root.lstat(Path::new("/opt")).is_ok_and(|s| s.is_dir()) {
        out.push(PathBuf::from("/opt"));
    }
    let mut homes = vec![PathBuf::from("/root")];
    homes.extend(dirs(Path::new("/home")));
    for h in homes {
        let lib = h.join(".local/lib");
        out.extend(dirs(&lib).into_iter().filter(|p| named(p, b"python")));
    }
    out
}

/// CPython versions installed in the target: a `pythonX.Y` directory in
/// `/usr/lib*` or `/usr/local/lib*` holding the standard library's
/// `os.py` (or `os.pyc`), or a `/usr/bin/pythonX.Y` or
/// `/usr/local/bin/pythonX.Y`. (The check adds any `pythonX.Y/os.py` its
/// walk finds, e.g. under `/opt`.)
pub fn installed_pythons(root: &Root) -> BTreeSet<PyVersion> {
    let mut out = BTreeSet::new();
    let version_of = |name: &OsStr| {
        name.to_str()
            .and_then(|n| n.strip_prefix("python"))
            .and_then(PyVersion::parse)
    };
    for base in ["/usr", "/usr/local"] {
        let Ok(libs) = root.read_dir(Path::new(base)) else {
            continue;
        };
        for lib in libs
            .iter()
            .filter(|e| e.stat.is_dir() && e.name.as_bytes().starts_with(b"lib"))
        {
            let lib = Path::new(base).join(&lib.name);
            let Ok(entries) = root.read_dir(&lib) else {
                continue;
            };
            for e in entries.iter().filter(|e| e.stat.is_dir()) {
                if let Some(v) = version_of(&e.name) {
                    let d = lib.join(&e.name);
                    if root.lstat(&d.join("os.py")).is_ok() || root.lstat(&d.join("os.pyc")).is_ok()
                    {
                        out.insert(v);
                    }
                }
            }
        }
        if let Ok(bins) = root.read_dir(&Path::new(base).join("bin")) {
            out.extend(bins.iter().filter_map(|e| version_of(&e.name)));
        }
    }
    out
}

/// What packages register that this check needs from the whole database,
/// gathered batch by batch while the database streams past
/// ([`PackagedCode::add`]): the directories holding registered Python
/// source, and who registered each pyc. Pyc paths are kept as
/// [`OwnershipIndex::key`]s, not copies.
#[derive(Debug, Default)]
pub struct PackagedCode {
    /// Parents of registered `.py` files and `__pycache__` directories, as
    /// registered.
    dirs: BTreeSet<PathBuf>,
    /// Registered pyc/pyo (by path key) → index into `owners`.
    pycs: HashMap<u128, u32>,
    /// The packages that registered a pyc.
    owners: Vec<PackageRef>,
}

impl PackagedCode {
    /// Learn `package`'s code (paths keyed with `index`'s key).
    pub fn add(&mut self, package: &Package, index: &OwnershipIndex) {
        let mut owner = None;
        for f in &package.files {
            // Byte tests: this runs for every registered file, and `Path`'s
            // component parsing was a tenth of reading the database.
            let b = f.path_bytes();
            let code = b.ends_with(b".py") || b.ends_with(b"/__pycache__");
            if code
                && let Some(d) = f.path.parent()
                && !self.dirs.contains(d)
            {
                self.dirs.insert(d.to_path_buf());
            }
            if is_pyc_name(b) {
                let i = *owner.get_or_insert_with(|| {
                    self.owners.push(package.reference());
                    (self.owners.len() - 1) as u32
                });
                self.pycs.insert(index.key(&f.path), i);
            }
        }
    }

    /// Who registered the pyc at `path`.
    pub(super) fn owner(&self, index: &OwnershipIndex, path: &Path) -> Option<&PackageRef> {
        let i = *self.pycs.get(&index.key(path))?;
        self.owners.get(i as usize)
    }
}

/// Directories holding `.py` files (or `__pycache__` directories) that
/// packages registered, outside the walked trees, canonical and sorted.
pub(super) fn package_code_dirs(
    code: &PackagedCode,
    own: &Ownership<'_>,
    roots: &[PathBuf],
) -> Vec<PathBuf> {
    let dirs: BTreeSet<PathBuf> = code.dirs.iter().map(|d| own.canonical(d)).collect();
    dirs.into_iter()
        .filter(|d| !roots.iter().any(|r| d.starts_with(r)))
        .collect()
}

fn is_pyc_name(name: &[u8]) -> bool {
    name.ends_with(b".pyc") || name.ends_with(b".pyo")
}

/// The walk's visitor: descend everywhere, keep what the check looks at.
pub(super) fn visit(path: &Path, st: &FileStat, tree_root: &Path) -> Visit<Candidate> {
    if st.is_dir() {
        return Visit::Descend;
    }
    if !(st.is_regular() || st.is_symlink()) {
        return Visit::Skip;
    }
    let name = path.file_name().map(|n| n.as_bytes()).unwrap_or(b"");
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.as_bytes())
        .unwrap_or(b"");
    let kind = if is_pyc_name(name) {
        CandKind::Pyc
    } else if name.ends_with(b".pth") && (parent == b"site-packages" || parent == b"dist-packages")
    {
        CandKind::Pth
    } else if name == b"sitecustomize.py" || name == b"usercustomize.py" {
        CandKind::Customize
    } else if let (b"os.py", Some(v)) = (
        name,
        std::str::from_utf8(parent)
            .ok()
            .and_then(|p| p.strip_prefix("python"))
            .and_then(PyVersion::parse),
    ) {
        CandKind::Stdlib(v)
    } else {
        return Visit::Skip;
    };
    Visit::Keep(Candidate {
        path: path.to_path_buf(),
        kind,
        tree: tree_key(tree_root, path),
    })
}

/// The tree an unregistered pyc is summarised under: the walk root when it
/// is at least two levels deep (`/usr/lib/python3`), else its first two
/// levels (`/opt/vendor`).
pub(super) fn tree_key(tree_root: &Path, path: &Path) -> PathBuf {
    let depth = tree_root.components().count().saturating_sub(1);
    if depth >= 2 {
        return tree_root.to_path_buf();
    }
    let parent = path.parent().unwrap_or(tree_root);
    parent.components().take(3).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_keys() {
        assert_eq!(
            tree_key(
                Path::new("/usr/lib/python3"),
                Path::new("/usr/lib/python3/dist-packages/a/b.pyc")
            ),
            Path::new("/usr/lib/python3")
        );
        assert_eq!(
            tree_key(Path::new("/opt"), Path::new("/opt/vendor/lib/x.pyc")),
            Path::new("/opt/vendor")
        );
        assert_eq!(
            tree_key(Path::new("/opt"), Path::new("/opt/x.pyc")),
            Path::new("/opt")
        );
    }
}
