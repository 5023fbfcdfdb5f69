//! Gentoo portage (package database stage): the "vdb" of installed
//! packages, `var/db/pkg/CATEGORY/PF/`, read without writing into the
//! common [`crate::pkgdb::Package`] shape.
//!
//! The format's source of truth is portage itself: `vardbapi` and
//! `dblink.getcontents` in `lib/portage/dbapi/vartree.py` (what a package
//! directory holds and how `CONTENTS` is read), and `ConfigProtect` in
//! `lib/portage/util/__init__.py` (which files are configuration). What is
//! read, all through the confined [`Root`]:
//!
//! * the directory tree: one package per `CATEGORY/PF` directory. Its
//!   identity is the directory's path (as portage's `vardbapi` takes it):
//!   `CATEGORY/PN` is the package's name, `PV` its version and `-rN` its
//!   release, so findings name it as Gentoo does
//!   (`sys-libs/glibc-2.32-r5`); `SLOT` and `repository` are kept beside
//!   it ([`Identity`], [`identity_of`]). Directories still being merged
//!   (`-MERGING-PF`) are named in one `check-incomplete` finding and not
//!   verified.
//! * `CONTENTS` ([`contents`]): `obj` files are verified by MD5 (`5`) and
//!   mtime (`T`), `sym` links by target (`L`; anything but a symlink there
//!   is `M`), `dir`, `fif` and `dev` entries for existence only.
//! * `CONFIG_PROTECT` ([`protect`]): protected files are `%config` (low
//!   severity), as portage treats them.
//!
//! Portage records no size, permissions or owners, and no signature over
//! any of it: an attacker with root can rewrite `CONTENTS` with the files.
//! Damage (an unreadable or missing `CONTENTS`, garbled lines) becomes a
//! `check-incomplete` finding; nothing is dropped silently, nothing panics.
//!
//! ```no_run
//! use rootaudit::pkgdb::portage;
//! use rootaudit::rootfs::Root;
//! let root = Root::open("/".as_ref())?;
//! let db = portage::read(&root, "var/db/pkg".as_ref())?;
//! println!("{} packages", db.packages.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod contents;
pub mod protect;

use crate::pkgdb::incomplete;
use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use self::contents::Entry;
use self::protect::ConfigProtect;
use crate::error::{DatabaseError, Error};
use crate::model::evidence::DatabaseProblem;
use crate::model::{About, Finding, Severity, VerifyAttrs};
use crate::pkgdb::{
    Backend, Database, DbFormat, DigestAlgo, FileFlags, FileRecord, FileState, Native, Package,
    PassOutcome, Source,
};
use crate::rootfs::{Root, S_IFDIR, S_IFIFO, S_IFLNK};

/// Largest `CONTENTS` read (the biggest real ones, python's, are under a
/// MiB); a bigger one is a finding and is not read.
pub const CONTENTS_LIMIT: u64 = 64 << 20;

/// Largest `SLOT` or `repository` file read.
const SMALL_LIMIT: u64 = 4096;

/// What portage can compare.
pub const ATTRIBUTES: VerifyAttrs = VerifyAttrs::DIGEST
    .union(VerifyAttrs::MTIME)
    .union(VerifyAttrs::LINKTO);

/// A package's identity as the vdb records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// `CATEGORY`.
    pub category: String,
    /// `PF`: name, version and revision.
    pub pf: String,
    /// `SLOT` (empty when unrecorded).
    pub slot: String,
    /// `repository` (empty when unrecorded).
    pub repository: String,
}

/// The vdb identity of a package a portage pass handed over.
pub fn identity_of(p: &Package) -> Option<&Identity> {
    p.native.as_ref()?.get()
}

/// One `CATEGORY/PF` directory.
#[derive(Clone, Debug)]
struct VdbEntry {
    category: OsString,
    pf: OsString,
}

/// A portage vdb opened for streaming ([`Source`]): the package
/// directories are listed once; each pass reads each package's files again
/// and lets them go a batch at a time.
pub struct Portage {
    /// The vdb inside the target (absolute).
    path: PathBuf,
    /// The same, relative to ROOT.
    dir: PathBuf,
    entries: Vec<VdbEntry>,
    protect: ConfigProtect,
    /// Findings made when it was opened.
    notes: Vec<Finding>,
}

impl std::fmt::Debug for Portage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Portage")
            .field("path", &self.path)
            .field("packages", &self.entries.len())
            .finish_non_exhaustive()
    }
}

/// Read the vdb at `rel` (normally `var/db/pkg`) into memory.
pub fn read(root: &Root, rel: &Path) -> Result<Database, Error> {
    source(root, rel)?.load(root)
}

/// [`open`] the vdb at `rel`, as a [`Source`].
pub fn source(root: &Root, rel: &Path) -> Result<Source, Error> {
    let db = open(root, rel)?;
    Ok(Source::new(
        DbFormat::PORTAGE,
        db.path.clone(),
        ATTRIBUTES,
        Box::new(db),
    ))
}

/// Open the vdb at `rel`: list its package directories and read the
/// target's `CONFIG_PROTECT`. A directory holding no `CATEGORY/PF/CONTENTS`
/// (pkgsrc's `var/db/pkg` on NetBSD, FreeBSD's `local.sqlite`) is not a
/// vdb ([`DatabaseError::UnknownFormat`]).
pub fn open(root: &Root, rel: &Path) -> Result<Portage, Error> {
    let dir: PathBuf = rel.components().collect();
    let path = Path::new("/").join(&dir);
    let db_err = |reason: DatabaseError| Error::Database {
        path: path.clone(),
        reason,
    };
    let top = root.lookup_follow(&dir).map_err(|e| db_err(e.into()))?;
    if !top.stat.is_dir() {
        return Err(db_err(DatabaseError::UnknownFormat));
    }
    let categories = root.read_dir(&dir).map_err(|e| db_err(e.into()))?;
    let mut entries = Vec::new();
    let mut merging = Vec::new();
    let mut notes = Vec::new();
    let mut recognised = false;
    for cat in categories {
        let name = cat.name.as_bytes();
        if name.starts_with(b".") || !is_dir(root, &dir.join(&cat.name), &cat.stat) {
            continue;
        }
        let cat_dir = dir.join(&cat.name);
        let pfs = match root.read_dir(&cat_dir) {
            Ok(v) => v,
            Err(e) => {
                notes.push(unreadable(&cat_dir, "portage", &e));
                continue;
            }
        };
        for pf in pfs {
            let pf_name = pf.name.as_bytes();
            let pf_dir = cat_dir.join(&pf.name);
            if pf_name.starts_with(b".") || !is_dir(root, &pf_dir, &pf.stat) {
                continue;
            }
            if pf_name.starts_with(b"-MERGING-") {
                merging.push(format!(
                    "{}/{}",
                    cat.name.to_string_lossy(),
                    pf.name.to_string_lossy()
                ));
                continue;
            }
            if !recognised && root.lstat(&pf_dir.join("CONTENTS")).is_ok() {
                recognised = true;
            }
            entries.push(VdbEntry {
                category: cat.name.clone(),
                pf: pf.name,
            });
        }
    }
    if !recognised {
        return Err(db_err(DatabaseError::UnknownFormat));
    }
    if !merging.is_empty() {
        notes.push(incomplete(
            Severity::Low,
            About::nothing().scope("portage-merging"),
            DatabaseProblem::HalfInstalled {
                count: merging.len() as u64,
                packages: merging,
            },
        ));
    }
    Ok(Portage {
        path,
        dir,
        entries,
        protect: ConfigProtect::read(root),
        notes,
    })
}

/// A directory, or a symlink to one inside ROOT.
fn is_dir(root: &Root, rel: &Path, lstat: &crate::rootfs::FileStat) -> bool {
    lstat.is_dir() || (lstat.is_symlink() && root.lookup_follow(rel).is_ok_and(|e| e.stat.is_dir()))
}

impl Portage {
    /// The vdb's path inside the target.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the target configures `CONFIG_PROTECT`.
    pub fn config_protect(&self) -> &ConfigProtect {
        &self.protect
    }

    /// One pass over every package, in directory order.
    fn pass(&self, root: &Root, each: &mut (dyn FnMut(&[Package]) + Send)) -> PassOutcome {
        let mut notes = self.notes.clone();
        let mut batch = Vec::with_capacity(crate::pkgdb::BATCH);
        let mut bytes = 0usize;
        for (i, e) in self.entries.iter().enumerate() {
            let (p, read) = self.package(root, i as u64, e, &mut notes);
            bytes += read;
            batch.push(p);
            if batch.len() == crate::pkgdb::BATCH || bytes >= crate::pkgdb::BATCH_BYTES {
                each(&batch);
                batch.clear();
                bytes = 0;
            }
        }
        if !batch.is_empty() {
            each(&batch);
        }
        PassOutcome {
            malformed: Vec::new(),
            notes,
        }
    }

    /// Package `record` of directory `e`, and how many bytes of
    /// `CONTENTS` it took.
    fn package(
        &self,
        root: &Root,
        record: u64,
        e: &VdbEntry,
        notes: &mut Vec<Finding>,
    ) -> (Package, usize) {
        let pkg_dir = self.dir.join(&e.category).join(&e.pf);
        let category = e.category.to_string_lossy().into_owned();
        let pf = e.pf.to_string_lossy().into_owned();
        let (pn, pv, pr) = split_pf(&pf);
        let name = format!("{category}/{pn}");
        let small = |file: &str| {
            root.read_small(&pkg_dir.join(file), SMALL_LIMIT)
                .map(|d| String::from_utf8_lossy(d.trim_ascii()).into_owned())
                .unwrap_or_default()
        };
        let identity = Identity {
            category,
            slot: small("SLOT"),
            repository: small("repository"),
            pf: pf.clone(),
        };
        let contents_path = pkg_dir.join("CONTENTS");
        let mut files = Vec::new();
        let mut size = 0;
        match root.read_small(&contents_path, CONTENTS_LIMIT) {
            Ok(data) => {
                size = data.len();
                let c = contents::parse(&data);
                drop(data);
                if !c.bad_lines.is_empty() {
                    notes.push(bad_lines(&contents_path, &name, &c.bad_lines));
                }
                let mut seen = HashSet::new();
                for entry in c.entries {
                    if !seen.insert(entry.path().to_vec()) {
                        continue;
                    }
                    files.push(self.record(entry));
                }
            }
            Err(err) => notes.push(unreadable(&contents_path, &name, &err)),
        }
        let package = Package {
            record,
            name,
            epoch: None,
            version: pv.to_owned(),
            release: pr.to_owned(),
            arch: None,
            files,
            native: Some(Native::new(identity)),
            lacks_digests: false,
        };
        (package, size)
    }

    /// The record of one `CONTENTS` entry.
    fn record(&self, entry: Entry) -> FileRecord {
        let config = |path: &[u8]| {
            if self.protect.is_protected(path) {
                FileFlags::CONFIG
            } else {
                FileFlags::empty()
            }
        };
        match entry {
            // A type-unknown record (mode 0), as dpkg's: the content is read
            // through a final symlink, confined to ROOT.
            Entry::Obj { path, md5, mtime } => {
                let flags = config(&path);
                let mut r = new_record(path, 0, VerifyAttrs::DIGEST | VerifyAttrs::MTIME, flags);
                r.digest = md5.to_vec();
                r.mtime = mtime;
                r
            }
            // The target is compared; anything but a symlink there is `M`
            // (as dpkg's alternatives links).
            Entry::Sym {
                path,
                target,
                mtime,
            } => {
                let flags = config(&path);
                let mut r = new_record(
                    path,
                    S_IFLNK | 0o777,
                    VerifyAttrs::LINKTO | VerifyAttrs::MODE,
                    flags,
                );
                r.link_to = target;
                r.mtime = mtime;
                r
            }
            Entry::Dir { path } => {
                new_record(path, S_IFDIR, VerifyAttrs::empty(), FileFlags::empty())
            }
            Entry::Fifo { path } => {
                new_record(path, S_IFIFO, VerifyAttrs::empty(), FileFlags::empty())
            }
            Entry::Device { path } => new_record(path, 0, VerifyAttrs::empty(), FileFlags::empty()),
        }
    }
}

impl Backend for Portage {
    fn read(
        &self,
        root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> Result<PassOutcome, Error> {
        Ok(self.pass(root, each))
    }
}

/// A record with nothing but its path, type and what to verify.
pub(crate) fn new_record(
    path: Vec<u8>,
    mode: u32,
    verify: VerifyAttrs,
    flags: FileFlags,
) -> FileRecord {
    FileRecord {
        path: PathBuf::from(OsStr::from_bytes(&path)),
        size: 0,
        mode,
        rdev: 0,
        mtime: 0,
        digest_algo: DigestAlgo::Md5,
        digest: Vec::new(),
        link_to: Vec::new(),
        flags,
        verify,
        user: "root".into(),
        group: "root".into(),
        caps: String::new(),
        state: FileState::Normal,
    }
}

/// `PF` as `(PN, PV, PR)`: the version starts at the first `-` followed by
/// a valid version (PMS 3.2), `PR` is a trailing `-rN`. A name without a
/// version is all `PN`.
pub fn split_pf(pf: &str) -> (&str, &str, &str) {
    let (rest, pr) = match pf.rfind("-r") {
        Some(i) if pf.len() > i + 2 && pf[i + 2..].bytes().all(|b| b.is_ascii_digit()) => {
            (&pf[..i], &pf[i + 1..])
        }
        _ => (pf, ""),
    };
    for (i, _) in rest.match_indices('-') {
        if i > 0 && is_version(&rest[i + 1..]) {
            return (&rest[..i], &rest[i + 1..], pr);
        }
    }
    (pf, "", "")
}

/// PMS version syntax without the revision:
/// `\d+(\.\d+)*[a-z]?(_(alpha|beta|pre|rc|p)\d*)*`.
fn is_version(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    while i < b.len() && b[i] == b'.' {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if i < b.len() && b[i].is_ascii_lowercase() {
        i += 1;
    }
    while i < b.len() {
        let Some(tail) = v[i..].strip_prefix('_') else {
            return false;
        };
        let Some(s) = ["alpha", "beta", "pre", "rc", "p"]
            .iter()
            .find(|s| tail.starts_with(**s))
        else {
            return false;
        };
        i += 1 + s.len();
        digits(&mut i);
    }
    true
}

/// The database file at `rel` cannot be read (`scope`: the package).
pub(crate) fn unreadable(rel: &Path, scope: &str, e: &io::Error) -> Finding {
    incomplete(
        Severity::Medium,
        About::path(Path::new("/").join(rel)).scope(scope.to_owned()),
        DatabaseProblem::Unreadable { error: e.into() },
    )
}

/// `lines` of the database file at `rel` do not parse.
pub(crate) fn bad_lines(rel: &Path, scope: &str, lines: &[u64]) -> Finding {
    incomplete(
        Severity::Medium,
        About::path(Path::new("/").join(rel)).scope(scope.to_owned()),
        DatabaseProblem::bad_lines(lines),
    )
}

#[cfg(test)]
mod tests;
