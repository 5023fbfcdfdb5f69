//! Which paths the packages register, compactly: [`OwnershipIndex`] (a
//! keyed 128-bit hash and a count per path) and [`PathKeyer`], the keyed
//! path identity it and the dpkg reader share.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::Package;

/// How many packages register each path: rpm does not report mtime
/// differences of shared files, and later checks ask "is this owned?".
///
/// Paths compare as [`Path`]s do (`/a//b/` is `/a/b`). The index keeps no
/// path, only a 128-bit SipHash-1-3 of its normal form under a key drawn
/// at random for each index: about 17 bytes per registered path in a hash
/// set (and a count beside it for the few paths that more than one package
/// registers) instead of a copy of the path, so a scan's memory stays
/// small while the database streams past (see `docs/performance.md`). Two
/// distinct paths share a hash with probability about n²/2¹²⁹ (10⁻²⁷ at a
/// million paths), and the key is unknown to whoever names files in the
/// target, so a collision cannot be aimed at.
#[derive(Debug)]
pub struct OwnershipIndex {
    keyer: PathKeyer,
    /// Every registered path.
    owned: HashSet<u128, PrehashedState>,
    /// Paths registered by more than one package, with their count.
    shared: HashMap<u128, u32, PrehashedState>,
}

impl Default for OwnershipIndex {
    fn default() -> Self {
        OwnershipIndex::with_capacity(0)
    }
}

impl OwnershipIndex {
    /// An empty index with room for `paths` paths.
    pub fn with_capacity(paths: usize) -> OwnershipIndex {
        OwnershipIndex {
            keyer: PathKeyer::new(),
            owned: HashSet::with_capacity_and_hasher(paths, Default::default()),
            shared: HashMap::default(),
        }
    }

    /// Index every file of every package.
    pub fn build(packages: &[Package]) -> OwnershipIndex {
        let mut index = OwnershipIndex::with_capacity(packages.iter().map(|p| p.files.len()).sum());
        for p in packages {
            index.add(p);
        }
        index
    }

    /// Count `package`'s files as registered once more.
    pub fn add(&mut self, package: &Package) {
        for f in &package.files {
            let key = self.key(&f.path);
            if !self.owned.insert(key) {
                *self.shared.entry(key).or_insert(1) += 1;
            }
        }
    }

    /// How many packages register `path`.
    pub fn owner_count(&self, path: &Path) -> u32 {
        let key = self.key(path);
        match self.shared.get(&key) {
            Some(&n) => n,
            None => u32::from(self.owned.contains(&key)),
        }
    }

    /// Distinct paths registered.
    pub fn len(&self) -> usize {
        self.owned.len()
    }

    /// True when no path is registered.
    pub fn is_empty(&self) -> bool {
        self.owned.is_empty()
    }

    /// The keyed 128-bit hash of `path`'s normal form ([`PathKeyer`]);
    /// also usable by callers that want a compact, spelling-independent
    /// path identity.
    pub fn key(&self, path: &Path) -> u128 {
        self.keyer.key(path)
    }
}

/// A compact, spelling-independent identity for paths: the 128-bit
/// SipHash-1-3 of a path's normal form (`/a//b/` is `/a/b`) under a key
/// drawn at random for each keyer. Used where a set or map of many paths
/// would otherwise hold copies of them ([`OwnershipIndex`], dpkg's
/// ownership settling); see [`OwnershipIndex`] for why collisions do not
/// matter.
#[derive(Clone, Debug)]
pub struct PathKeyer {
    keys: (u64, u64),
}

impl Default for PathKeyer {
    fn default() -> Self {
        PathKeyer::new()
    }
}

impl PathKeyer {
    /// A keyer with a fresh random key.
    pub fn new() -> PathKeyer {
        use std::hash::BuildHasher;
        // std's RandomState is seeded from the OS once per process and
        // varies per instance: two draws give a 128-bit SipHash key.
        let state = std::collections::hash_map::RandomState::new();
        PathKeyer {
            keys: (state.hash_one(1u8), state.hash_one(2u8)),
        }
    }

    /// The key of `path`.
    pub fn key(&self, path: &Path) -> u128 {
        use std::hash::Hasher as _;
        let mut h = siphasher::sip128::SipHasher13::new_with_keys(self.keys.0, self.keys.1);
        h.write(&normal_form(path));
        siphasher::sip128::Hasher128::finish128(&h).as_u128()
    }

    /// The key of a path given as bytes.
    pub fn key_bytes(&self, path: &[u8]) -> u128 {
        self.key(Path::new(OsStr::from_bytes(path)))
    }
}

/// A `HashMap`/`HashSet` hasher for [`PathKeyer`] keys, which already are
/// keyed SipHash values.
pub type PrehashedState = std::hash::BuildHasherDefault<PrehashedKey>;

/// The hasher of tables keyed by [`PathKeyer`] keys: they already are
/// keyed SipHash values, so hashing them again would only cost time.
#[derive(Default)]
pub struct PrehashedKey(u64);

impl std::hash::Hasher for PrehashedKey {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u128` keys reach here (as `write_u128`); stay correct for
        // anything else all the same.
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(b);
        }
    }

    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

/// `path` as bytes, spelled so that byte equality is [`Path`] equality
/// (equal components): borrowed when it already is (no empty or `.`
/// component after the first, no trailing `/`), rebuilt from the components
/// otherwise.
fn normal_form(path: &Path) -> std::borrow::Cow<'_, [u8]> {
    let b = path.as_os_str().as_bytes();
    let irregular = b.len() > 1 && b.ends_with(b"/")
        || b.windows(2).any(|w| w == b"//")
        || b.windows(3).any(|w| w == b"/./")
        || b.ends_with(b"/.");
    if !irregular {
        return std::borrow::Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    for c in path.components() {
        let part = c.as_os_str().as_bytes();
        if !(out.is_empty() || out == b"/") {
            out.push(b'/');
        }
        out.extend_from_slice(part);
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spelling built from a few components: byte equality of the
    /// normal forms must be exactly `Path` equality.
    #[test]
    fn normal_form_equality_is_path_equality() {
        let parts = ["", ".", "..", "a", "b", ".a", "a.", "..."];
        let mut spellings = vec![String::new(), "/".into(), "//".into(), ".".into()];
        for lead in ["", "/", "//", "./"] {
            for x in parts {
                for y in parts {
                    for tail in ["", "/", "/.", "//"] {
                        spellings.push(format!("{lead}{x}/{y}{tail}"));
                        spellings.push(format!("{lead}{x}{tail}"));
                    }
                }
            }
        }
        spellings.sort();
        spellings.dedup();
        for a in &spellings {
            let na = normal_form(Path::new(a));
            for b in &spellings {
                let nb = normal_form(Path::new(b));
                assert_eq!(
                    Path::new(a) == Path::new(b),
                    na == nb,
                    "{a:?} {b:?} -> {:?} {:?}",
                    String::from_utf8_lossy(&na),
                    String::from_utf8_lossy(&nb)
                );
            }
        }
    }

    /// Counts over packages, whatever the spelling each registered.
    #[test]
    fn owner_count_counts_packages() {
        use crate::testutil::{file_record, package};
        let pkgs: Vec<Package> = [
            "/usr/share/doc/x",
            "/usr/share//doc/x/",
            "/usr/./share/doc/x",
        ]
        .iter()
        .enumerate()
        .map(|(i, p)| {
            package(
                i as u64,
                "p",
                vec![file_record(p), file_record("/only/one")],
            )
        })
        .collect();
        let index = OwnershipIndex::build(&pkgs);
        assert_eq!(index.owner_count(Path::new("/usr/share/doc/x")), 3);
        assert_eq!(index.owner_count(Path::new("/only/one")), 3);
        let one = OwnershipIndex::build(&pkgs[..1]);
        assert_eq!(one.owner_count(Path::new("/only/one")), 1);
        assert_eq!(one.owner_count(Path::new("/only")), 0);
        assert_eq!(one.len(), 2);
        // Keys differ per index: nobody outside can aim a collision.
        assert_ne!(index.key(Path::new("/a")), one.key(Path::new("/a")));
    }

    #[test]
    fn owner_count_ignores_spelling() {
        let mut index = OwnershipIndex::default();
        let key = index.key(Path::new("/usr/bin/"));
        index.owned.insert(key);
        index.shared.insert(key, 2);
        let key = index.key(Path::new("/etc/app.conf"));
        index.owned.insert(key);
        assert_eq!(index.owner_count(Path::new("/usr/bin")), 2);
        assert_eq!(index.owner_count(Path::new("//usr/./bin//")), 2);
        assert_eq!(index.owner_count(Path::new("/etc/app.conf")), 1);
        assert_eq!(index.owner_count(Path::new("/etc//app.conf/.")), 1);
        assert_eq!(index.owner_count(Path::new("/etc/app.conf.")), 0);
        assert_eq!(index.owner_count(Path::new("/etc/../etc/app.conf")), 0);
    }
}
