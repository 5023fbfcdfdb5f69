//! dpkg ownership (package database stage): which package each record
//! belongs to, when that cannot be known from one package alone.
//!
//! A path that another package's `.list` names was taken over by it (its
//! `md5sums` or `Conffiles:` record here is dropped), and an
//! update-alternatives link belongs to the package providing the selected
//! choice. [`Ownership::settle`] works out both in one pass over every
//! package's files, with keyed path hashes ([`PathKeyer`]) rather than
//! copies of the paths, and keeps only the outcome: the few taken-over
//! records and the alternatives links. [`Ownership::apply`] then fixes up
//! each package as a pass of [`super::Dpkg::read`] builds it again.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::alternatives;
use super::diversions::Diversions;
use super::filters::PathFilters;
use super::package::Built;
use super::reader::{Reader, Stanza, is_absent};
use crate::model::evidence::DatabaseProblem;
use crate::model::{Finding, Severity, VerifyAttrs};
use crate::pkgdb::{
    DigestAlgo, FileFlags, FileRecord, FileState, Package, PathKeyer, PrehashedState,
};
use crate::rootfs::S_IFLNK;

/// Largest alternatives file read.
const ALTERNATIVES_LIMIT: u64 = 16 << 20;

/// The outcome of settling ownership between packages.
#[derive(Debug, Default)]
pub(super) struct Ownership {
    /// Per package (index into the stanzas): raw-path keys of its
    /// `md5sums` or `Conffiles:` records that another package's list took
    /// over.
    taken_over: HashMap<usize, HashSet<u128>>,
    /// Per package: the update-alternatives links it provides.
    alternatives: HashMap<usize, Vec<FileRecord>>,
}

impl Ownership {
    /// Settle ownership between the packages of `stanzas` (one pass over
    /// every package's files), reading the alternatives. Notes go to `r`:
    /// the packages' first, then the alternatives'.
    pub(super) fn settle(
        r: &mut Reader<'_>,
        stanzas: &[Stanza],
        diversions: &Diversions,
        filters: &PathFilters,
        keyer: &PathKeyer,
    ) -> Ownership {
        // Alternatives first (their notes still come after the packages'):
        // they name the few paths whose owner must be remembered.
        let mark = r.notes.len();
        let plans = r.plan_alternatives(keyer);
        let alt_notes: Vec<Finding> = r.notes.drain(mark..).collect();
        let wanted: HashSet<u128> = plans
            .iter()
            .flat_map(|p| p.candidates.iter().chain(p.links.iter().map(|(k, _, _)| k)))
            .copied()
            .collect();

        // Which packages list each path, and which packages have a record at
        // each wanted path, as keyed hashes.
        let mut listed: HashMap<u128, Lister, PrehashedState> = HashMap::default();
        let mut unlisted: Vec<(usize, u128)> = Vec::new();
        let mut holders: HashMap<u128, Vec<(usize, Option<u128>)>> = HashMap::new();
        for (i, s) in stanzas.iter().enumerate() {
            let (b, list) = r.build_package(s, diversions, filters, keyer);
            for k in list {
                listed
                    .entry(k)
                    .and_modify(|l| {
                        if *l != Lister::One(i) {
                            *l = Lister::Several;
                        }
                    })
                    .or_insert(Lister::One(i));
            }
            unlisted.extend(b.unlisted.iter().map(|&(_, raw)| (i, raw)));
            for (fi, f) in b.package.files.iter().enumerate() {
                let k = keyer.key(&f.path);
                if wanted.contains(&k) {
                    let raw = b
                        .unlisted
                        .iter()
                        .find(|(u, _)| *u == fi)
                        .map(|&(_, raw)| raw);
                    holders.entry(k).or_default().push((i, raw));
                }
            }
        }
        // An unlisted record another package lists was taken over by it.
        let mut taken_over: HashMap<usize, HashSet<u128>> = HashMap::new();
        for (i, raw) in unlisted {
            if listed.get(&raw).is_some_and(|l| *l != Lister::One(i)) {
                taken_over.entry(i).or_default().insert(raw);
            }
        }
        drop(listed);
        // Who owns each wanted path (as verified, after diversions): the first
        // package holding a record there that was not taken over.
        let mut owner: HashMap<u128, usize, PrehashedState> = HashMap::default();
        for (k, hs) in holders {
            let first = hs.into_iter().find(|&(i, raw)| {
                raw.is_none_or(|raw| !taken_over.get(&i).is_some_and(|t| t.contains(&raw)))
            });
            if let Some((i, _)) = first {
                owner.insert(k, i);
            }
        }
        r.notes.extend(alt_notes);
        let alternatives = r.resolve_alternatives(plans, &mut owner);
        Ownership {
            taken_over,
            alternatives,
        }
    }

    /// Package `i` (index into the stanzas) as built, without the records
    /// another package took over and with the alternatives links it
    /// provides.
    pub(super) fn apply(&self, i: usize, b: Built) -> Package {
        let mut package = b.package;
        if let Some(gone) = self.taken_over.get(&i) {
            let drop: HashSet<usize> = b
                .unlisted
                .iter()
                .filter(|(_, raw)| gone.contains(raw))
                .map(|&(fi, _)| fi)
                .collect();
            let files = std::mem::take(&mut package.files);
            package.files = files
                .into_iter()
                .enumerate()
                .filter(|(fi, _)| !drop.contains(fi))
                .map(|(_, f)| f)
                .collect();
        }
        if let Some(links) = self.alternatives.get(&i) {
            package.files.extend(links.iter().cloned());
        }
        package
    }
}

/// An update-alternatives group's links, waiting for its provider.
struct AltPlan {
    /// The alternatives file (for notes).
    path: PathBuf,
    /// Keys of the selected choice's path, then of every choice's.
    candidates: Vec<u128>,
    /// (key of the link, link, target).
    links: Vec<(u128, Vec<u8>, Vec<u8>)>,
}

/// Who lists a path in their `.list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lister {
    /// This one package (index into the packages being built).
    One(usize),
    /// More than one package.
    Several,
}

impl Reader<'_> {
    /// Read every update-alternatives group and work out the links its
    /// selected choice makes, before anyone knows which package provides
    /// it. Problems with a group are notes; a group without choices makes
    /// no links.
    fn plan_alternatives(&mut self, keyer: &PathKeyer) -> Vec<AltPlan> {
        let dir = self.admindir.join("alternatives");
        let entries = match self.root.read_dir(&dir) {
            Ok(v) => v,
            Err(e) if is_absent(&e) => return Vec::new(),
            Err(e) => {
                self.note_unreadable(&dir, &e);
                return Vec::new();
            }
        };
        let mut plans = Vec::new();
        for ent in entries {
            let path = dir.join(&ent.name);
            if !ent.stat.is_regular() {
                continue;
            }
            let Some(name) = ent.name.to_str().map(str::to_owned) else {
                self.note(
                    &path,
                    Severity::Low,
                    DatabaseProblem::AlternativesNameNotUtf8,
                );
                continue;
            };
            let data = match self.root.read_small(&path, ALTERNATIVES_LIMIT) {
                Ok(d) => d,
                Err(e) => {
                    self.note_unreadable(&path, &e);
                    continue;
                }
            };
            let group = match alternatives::Group::parse(&name, &data) {
                Ok(g) => g,
                Err(e) => {
                    self.note(
                        &path,
                        Severity::Low,
                        DatabaseProblem::AlternativesUnparseable {
                            error: e.to_string(),
                        },
                    );
                    continue;
                }
            };
            let alt = group.alt_path();
            let current = self
                .root
                .lookup(Path::new(OsStr::from_bytes(&alt)))
                .and_then(|e| e.read_link())
                .ok();
            let selected = current
                .as_deref()
                .and_then(|c| group.choice(c))
                .or_else(|| group.best());
            let Some(selected) = selected else {
                continue; // no choices: update-alternatives removes the links
            };
            let candidates = std::iter::once(&selected.path)
                .chain(group.choices.iter().map(|c| &c.path))
                .map(|p| keyer.key_bytes(p))
                .collect();
            let mut links = vec![
                (group.link.clone(), alt.clone()),
                (alt.clone(), selected.path.clone()),
            ];
            for (slave, target) in group.slaves.iter().zip(&selected.slaves) {
                // update-alternatives makes a slave link only when the
                // choice has the slave and its target exists.
                let Some(target) = target else { continue };
                if self
                    .root
                    .lstat(Path::new(OsStr::from_bytes(target)))
                    .is_err()
                {
                    continue;
                }
                let salt = alternatives::alt_path(&slave.name);
                links.push((slave.link.clone(), salt.clone()));
                links.push((salt, target.clone()));
            }
            plans.push(AltPlan {
                path,
                candidates,
                links: links
                    .into_iter()
                    .map(|(link, target)| (keyer.key_bytes(&link), link, target))
                    .collect(),
            });
        }
        plans
    }

    /// Give each planned group's links to the package that provides its
    /// selected choice (or, failing that, any choice), unless a package
    /// registers the link's path itself. `owner` knows every path the
    /// plans name and learns the links as they are given.
    fn resolve_alternatives(
        &mut self,
        plans: Vec<AltPlan>,
        owner: &mut HashMap<u128, usize, PrehashedState>,
    ) -> HashMap<usize, Vec<FileRecord>> {
        let mut out: HashMap<usize, Vec<FileRecord>> = HashMap::new();
        for plan in plans {
            let Some(pkg) = plan.candidates.iter().find_map(|k| owner.get(k).copied()) else {
                self.note(
                    &plan.path,
                    Severity::Low,
                    DatabaseProblem::AlternativesUnprovided,
                );
                continue;
            };
            for (key, link, target) in plan.links {
                if owner.contains_key(&key) {
                    continue; // a package registers this path itself
                }
                owner.insert(key, pkg);
                out.entry(pkg)
                    .or_default()
                    .push(symlink_record(&link, &target));
            }
        }
        out
    }
}

/// An update-alternatives symlink: the link target and that it is a
/// symlink at all (`M` when something else is there) are verified.
fn symlink_record(path: &[u8], target: &[u8]) -> FileRecord {
    FileRecord {
        path: PathBuf::from(OsStr::from_bytes(path)),
        size: 0,
        mode: S_IFLNK | 0o777,
        rdev: 0,
        mtime: 0,
        digest_algo: DigestAlgo::Md5,
        digest: Vec::new(),
        link_to: target.to_vec(),
        flags: FileFlags::empty(),
        verify: VerifyAttrs::LINKTO | VerifyAttrs::MODE,
        user: "root".into(),
        group: "root".into(),
        caps: String::new(),
        state: FileState::Normal,
    }
}
