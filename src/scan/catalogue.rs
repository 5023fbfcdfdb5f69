//! The scan's first pass over the package database: everything the checks
//! need to know about *all* packages at once, kept compact, so that the
//! second pass can verify each batch of packages and let it go.
//!
//! What is kept, and why it is small:
//!
//! * the [`OwnershipIndex`] (a keyed 128-bit hash and a count per
//!   registered path, about 36 bytes): the shared-file mtime rule and the
//!   `unowned` and `bytecode` checks ask it;
//! * [`PackagedCode`]: directories of registered Python source and who
//!   registered each pyc (by path hash);
//! * the `gpg-pubkey` entries (a few small headers): every header is judged
//!   against the target's own keyring;
//! * the records of files of at least [`LARGE_FILE`] bytes (a few thousand
//!   at most; each stands for a MiB or more of hashing), verified in a
//!   phase of their own, biggest first;
//! * per package record a 64-bit identity, so the second pass can tell
//!   when the database changed in between;
//! * counts for progress, `package-no-digests` findings, and the records
//!   and damage the reader could not parse.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::check::bytecode::PackagedCode;
use crate::check::files::LARGE_FILE;
use crate::error::Error;
use crate::model::{About, Evidence, Finding, FindingKind, PackageRef, Severity};
use crate::pkgdb::{FileRecord, MalformedRecord, OwnershipIndex, Package, Source};
use crate::rootfs::Root;

/// What the first pass learnt.
#[derive(Debug, Default)]
pub struct Catalogue {
    /// Which paths packages register, and how many packages each.
    pub index: OwnershipIndex,
    /// Registered Python code, for the `bytecode` check.
    pub code: PackagedCode,
    /// The target's `gpg-pubkey` entries, whole.
    pub pubkeys: Vec<Package>,
    /// Records of files of at least [`LARGE_FILE`] bytes with the index of
    /// their owner in [`Catalogue::owners`], biggest first (only when the
    /// files check runs).
    pub large: Vec<(FileRecord, u32)>,
    /// The packages of [`Catalogue::large`].
    pub owners: Vec<PackageRef>,
    /// Per record, the identity of the package read there (its NEVRA, file
    /// count and recorded size, hashed).
    pub identities: HashMap<u64, u64>,
    /// Packages read, without `gpg-pubkey` entries.
    pub packages: u64,
    /// Files the files check will look at, and their recorded bytes.
    pub files: u64,
    /// Recorded bytes of those files.
    pub bytes: u64,
    /// `package-no-digests` findings (only when the files check runs).
    pub no_digests: Vec<Finding>,
    /// Records that could not be parsed.
    pub malformed: Vec<MalformedRecord>,
    /// Findings about the database itself.
    pub notes: Vec<Finding>,
}

impl Catalogue {
    /// One pass over `db`, opened in `root` (on the current rayon pool).
    /// `files`: the files
    /// check will run, so gather what it needs.
    pub fn read(db: &Source, root: &Root, files: bool) -> Result<Catalogue, Error> {
        let mut cat = Catalogue::default();
        let outcome = db.read(root, &mut |batch| {
            for p in batch {
                cat.add(p, files);
            }
        })?;
        cat.large.sort_by_key(|(r, _)| std::cmp::Reverse(r.size));
        cat.malformed = outcome.malformed;
        cat.notes = outcome.notes;
        Ok(cat)
    }

    fn add(&mut self, p: &Package, files: bool) {
        self.index.add(p);
        self.code.add(p, &self.index);
        self.identities.insert(p.record, identity(p));
        if p.is_pubkey() {
            self.pubkeys.push(p.clone());
            return;
        }
        self.packages += 1;
        if !files {
            return;
        }
        self.files += p.files.len() as u64;
        let mut owner = None;
        for f in &p.files {
            self.bytes += f.size;
            if f.size >= LARGE_FILE {
                let i = *owner.get_or_insert_with(|| {
                    self.owners.push(p.reference());
                    (self.owners.len() - 1) as u32
                });
                self.large.push((f.clone(), i));
            }
        }
        if p.lacks_digests {
            self.no_digests.push(no_digest_finding(p));
        }
    }
}

/// What identifies the package stored in one record across two reads of
/// the database: its record, NEVRA, number of files and their total
/// recorded size. (rpm rewrites a record in place only to update file
/// states, which changes no path.)
pub fn identity(p: &Package) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    p.record.hash(&mut h);
    p.name.hash(&mut h);
    p.epoch.hash(&mut h);
    p.version.hash(&mut h);
    p.release.hash(&mut h);
    p.arch.hash(&mut h);
    p.files.len().hash(&mut h);
    p.files.iter().map(|f| f.size).sum::<u64>().hash(&mut h);
    h.finish()
}

/// One `package-no-digests` finding (low) for a package whose database
/// records no content digests (a dpkg package without `md5sums`, as
/// `debsums` warns): its files are only checked for existence.
fn no_digest_finding(p: &Package) -> Finding {
    Finding::new(
        FindingKind::PackageNoDigests,
        Severity::Low,
        About::package(p.reference()),
        Evidence::NoDigests {
            count: p.files.len() as u64,
        },
    )
}
