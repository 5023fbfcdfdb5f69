//! pkgsrc (package database stage): the `PKG_DBDIR` of pkg_install, one
//! directory per installed package holding its `+CONTENTS` packing list,
//! read without writing into the common [`crate::pkgdb::Package`] shape.
//!
//! The format's source of truth is pkg_install (`pkgtools/pkg_install` in
//! pkgsrc, `external/bsd/pkg_install` in NetBSD): `lib/plist.c` parses a
//! packing list, `admin/check.c` is `pkg_admin check`, pkg_create(1)
//! documents the commands, `lib/pkgdb.c` places the database. What is
//! read, all through the confined [`Root`]:
//!
//! * where the database is: `PKG_DBDIR` from the target's
//!   `pkg_install.conf` or `mk.conf` when one sets it ([`LOCATIONS`]),
//!   else the first of `usr/pkg/pkgdb` (the default since pkgsrc 2020Q4),
//!   `var/db/pkg` (NetBSD and older pkgsrc), `usr/var/db/pkg` (MINIX),
//!   `opt/pkg/pkgdb` (SmartOS, macOS) that holds packages;
//! * one package per directory holding a `+CONTENTS` ([`plist`]): its
//!   `@name` (else the directory's name) is its identity, split at the
//!   last `-` into name and version (`openssh-5.8.2nb5`);
//! * what `pkg_admin check` verifies, offline: each file's MD5
//!   (`@comment MD5:`, `5`) and each symlink's target (`@comment
//!   Symlink:`, `L`; anything but a symlink there is `M`); files without
//!   either, and `@pkgdir` directories, for existence only.
//!
//! pkgsrc records no size, mtime, permissions or owners of installed files
//! (`@mode`/`@owner`/`@group` only shape the binary package), and nothing
//! signs the database: an attacker with root can rewrite `+CONTENTS` with
//! the files. `pkgdb.byfile.db` (the path → package index) is not read.
//! Damage (an unreadable `+CONTENTS`, garbled lines) becomes a
//! `check-incomplete` finding; `@exec`/`@unexec` are never run.
//!
//! ```no_run
//! use rootaudit::pkgdb::pkgsrc;
//! use rootaudit::rootfs::Root;
//! let root = Root::open("/".as_ref())?;
//! let db = pkgsrc::read(&root, "usr/pkg/pkgdb".as_ref())?;
//! println!("{} packages", db.packages.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod plist;

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use self::plist::Kind;
use crate::error::{DatabaseError, Error};
use crate::model::VerifyAttrs;
use crate::pkgdb::portage::{bad_lines, new_record, unreadable};
use crate::pkgdb::{Backend, Database, DbFormat, FileFlags, Package, PassOutcome, Source};
use crate::rootfs::{Root, S_IFDIR, S_IFLNK};

/// Settings files that may set `PKG_DBDIR`, then the default database
/// directories, in the order tried: the detection table's locations.
pub const LOCATIONS: &[&str] = &[
    "usr/pkg/etc/pkg_install.conf",
    "opt/pkg/etc/pkg_install.conf",
    "etc/pkg_install.conf",
    "usr/pkg/etc/mk.conf",
    "opt/pkg/etc/mk.conf",
    "etc/mk.conf",
    "usr/pkg/pkgdb",
    "var/db/pkg",
    "usr/var/db/pkg",
    "opt/pkg/pkgdb",
];

/// The default database directories, in the order tried.
const DEFAULT_DIRS: &[&str] = &[
    "usr/pkg/pkgdb",
    "var/db/pkg",
    "usr/var/db/pkg",
    "opt/pkg/pkgdb",
];

/// Largest `+CONTENTS` read (the biggest real ones, a compiler's, are a
/// few hundred KiB); a bigger one is a finding and is not read.
pub const CONTENTS_LIMIT: u64 = 64 << 20;

/// Largest settings file read.
const SETTINGS_LIMIT: u64 = 1 << 20;

/// What pkgsrc can compare.
pub const ATTRIBUTES: VerifyAttrs = VerifyAttrs::DIGEST.union(VerifyAttrs::LINKTO);

/// A pkgsrc database opened for streaming ([`Source`]): the package
/// directories are listed once; each pass reads each packing list again
/// and lets it go a batch at a time.
pub struct Pkgsrc {
    /// The database directory inside the target (absolute).
    path: PathBuf,
    /// The same, relative to ROOT.
    dir: PathBuf,
    /// The package directories holding a `+CONTENTS`.
    packages: Vec<OsString>,
}

impl std::fmt::Debug for Pkgsrc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkgsrc")
            .field("path", &self.path)
            .field("packages", &self.packages.len())
            .finish()
    }
}

/// Read the database at `rel` into memory (see [`open`]).
pub fn read(root: &Root, rel: &Path) -> Result<Database, Error> {
    source(root, rel)?.load(root)
}

/// [`open`] the database at `rel`, as a [`Source`].
pub fn source(root: &Root, rel: &Path) -> Result<Source, Error> {
    let db = open(root, rel)?;
    Ok(Source::new(
        DbFormat::PKGSRC,
        db.path.clone(),
        ATTRIBUTES,
        Box::new(db),
    ))
}

/// Open the database at `rel`: a database directory, or a
/// `pkg_install.conf`/`mk.conf` whose `PKG_DBDIR` names it (without one,
/// the first default directory holding packages). A directory holding no
/// `+CONTENTS` and no `pkgdb.byfile.db` (portage's `var/db/pkg`, FreeBSD's)
/// is not a pkgsrc database ([`DatabaseError::UnknownFormat`]).
pub fn open(root: &Root, rel: &Path) -> Result<Pkgsrc, Error> {
    let rel: PathBuf = rel.components().collect();
    let abs = Path::new("/").join(&rel);
    let entry = root.lookup_follow(&rel).map_err(|e| Error::Database {
        path: abs.clone(),
        reason: e.into(),
    })?;
    if entry.stat.is_dir() {
        return open_dir(root, &rel);
    }
    let data = root
        .read_small(&rel, SETTINGS_LIMIT)
        .map_err(|e| Error::Database {
            path: abs.clone(),
            reason: e.into(),
        })?;
    if let Some(dir) = pkg_dbdir(&data) {
        return open_dir(root, &dir);
    }
    DEFAULT_DIRS
        .iter()
        .find_map(|d| open_dir(root, Path::new(d)).ok())
        .ok_or(Error::Database {
            path: abs,
            reason: DatabaseError::UnknownFormat,
        })
}

/// Open the database directory `dir` (relative to ROOT).
fn open_dir(root: &Root, dir: &Path) -> Result<Pkgsrc, Error> {
    let path = Path::new("/").join(dir);
    let db_err = |reason: DatabaseError| Error::Database {
        path: path.clone(),
        reason,
    };
    let entries = root.read_dir(dir).map_err(|e| db_err(e.into()))?;
    let mut recognised = false;
    let mut packages = Vec::new();
    for ent in entries {
        let name = ent.name.as_bytes();
        if name == b"pkgdb.byfile.db" {
            recognised = true;
        }
        if name.starts_with(b".") || !ent.stat.is_dir() {
            continue;
        }
        if root.lstat(&dir.join(&ent.name).join("+CONTENTS")).is_ok() {
            recognised = true;
            packages.push(ent.name);
        }
    }
    if !recognised {
        return Err(db_err(DatabaseError::UnknownFormat));
    }
    Ok(Pkgsrc {
        path,
        dir: dir.to_path_buf(),
        packages,
    })
}

/// The last absolute `PKG_DBDIR` a `pkg_install.conf` (`PKG_DBDIR=DIR`)
/// or `mk.conf` (`PKG_DBDIR?= DIR`, `:=`, `=`) sets, relative to ROOT.
/// Values naming make or shell variables are not resolved.
pub fn pkg_dbdir(data: &[u8]) -> Option<PathBuf> {
    let mut found = None;
    for line in data.split(|&b| b == b'\n') {
        let line = line.trim_ascii();
        let Some(rest) = line.strip_prefix(b"PKG_DBDIR") else {
            continue;
        };
        let rest = rest.trim_ascii_start();
        let rest = rest
            .strip_prefix(b"?=")
            .or_else(|| rest.strip_prefix(b":="))
            .or_else(|| rest.strip_prefix(b"="));
        let Some(value) = rest else { continue };
        let value = value
            .split(|&b| b == b'#')
            .next()
            .unwrap_or(b"")
            .trim_ascii();
        if value.first() == Some(&b'/') && !value.contains(&b'$') {
            let dir: PathBuf = Path::new(std::ffi::OsStr::from_bytes(value))
                .components()
                .skip(1)
                .collect();
            found = Some(dir);
        }
    }
    found
}

impl Pkgsrc {
    /// The database directory's path inside the target.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One pass over every package, in directory order.
    fn pass(&self, root: &Root, each: &mut (dyn FnMut(&[Package]) + Send)) -> PassOutcome {
        let mut notes = Vec::new();
        let mut batch = Vec::with_capacity(crate::pkgdb::BATCH);
        let mut bytes = 0usize;
        for (i, name) in self.packages.iter().enumerate() {
            let pkg_dir = self.dir.join(name);
            let contents = pkg_dir.join("+CONTENTS");
            let dir_name = name.to_string_lossy().into_owned();
            let (plist, size) = match root.read_small(&contents, CONTENTS_LIMIT) {
                Ok(data) => {
                    let abs = Path::new("/").join(&pkg_dir);
                    (plist::parse(&data, abs.as_os_str().as_bytes()), data.len())
                }
                Err(e) => {
                    notes.push(unreadable(&contents, &dir_name, &e));
                    (plist::Plist::default(), 0)
                }
            };
            let full = plist.name.clone().unwrap_or(dir_name);
            if !plist.bad_lines.is_empty() {
                notes.push(bad_lines(&contents, &full, &plist.bad_lines));
            }
            bytes += size;
            batch.push(package(i as u64, &full, plist));
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
}

impl Backend for Pkgsrc {
    fn read(
        &self,
        root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> Result<PassOutcome, Error> {
        Ok(self.pass(root, each))
    }
}

/// Package `record`, named `full` (`NAME-VERSION`), of a packing list.
fn package(record: u64, full: &str, plist: plist::Plist) -> Package {
    let (name, version) = match full.rfind('-') {
        Some(i) if i > 0 && i + 1 < full.len() => (&full[..i], &full[i + 1..]),
        _ => (full, ""),
    };
    let mut seen = std::collections::HashSet::new();
    let mut lacks_digests = false;
    let mut files = Vec::with_capacity(plist.files.len());
    for e in plist.files {
        if !seen.insert(e.path.clone()) {
            continue;
        }
        files.push(match e.kind {
            // Type unknown (mode 0): read through a final symlink, as
            // `pkg_admin check` does.
            Kind::File { md5: Some(md5) } => {
                let mut r = new_record(e.path, 0, VerifyAttrs::DIGEST, FileFlags::empty());
                r.digest = md5.to_vec();
                r
            }
            Kind::File { md5: None } => {
                lacks_digests = true;
                new_record(e.path, 0, VerifyAttrs::empty(), FileFlags::empty())
            }
            Kind::Symlink { target } => {
                let mut r = new_record(
                    e.path,
                    S_IFLNK | 0o777,
                    VerifyAttrs::LINKTO | VerifyAttrs::MODE,
                    FileFlags::empty(),
                );
                r.link_to = target;
                r
            }
            // pkg_add makes them; their removal is nobody's concern.
            Kind::Dir => new_record(e.path, S_IFDIR, VerifyAttrs::empty(), FileFlags::MISSINGOK),
        });
    }
    Package {
        record,
        name: name.to_owned(),
        epoch: None,
        version: version.to_owned(),
        release: String::new(),
        arch: None,
        files,
        native: None,
        lacks_digests,
    }
}

#[cfg(test)]
mod tests;
