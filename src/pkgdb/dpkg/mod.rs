//! dpkg (package database stage): Debian's and Ubuntu's `var/lib/dpkg`,
//! read without writing into the common [`Database`] shape.
//!
//! What is read, all through the confined [`Root`]:
//!
//! * `status` ([`status`]), and distroless `status.d/*` stanza files: one
//!   [`Package`] per package whose files are unpacked (`unpacked`,
//!   `half-configured`, `triggers-*`, `installed`; a `status.d` stanza has
//!   no `Status:` and counts as installed).
//! * `info/NAME[:ARCH].list` ([`info`]): the paths the package owns. Each
//!   becomes a record; without a digest it is checked for existence only.
//! * `info/NAME[:ARCH].md5sums` (or `status.d/NAME.md5sums`): MD5 of the
//!   package's regular files except conffiles, verified like `debsums`.
//! * the `Conffiles:` field: MD5 of each conffile as installed
//!   ([`FileFlags::CONFIG`](crate::pkgdb::FileFlags::CONFIG)).
//! * `diversions` ([`diversions`]): another package's file diverted away
//!   from its path is verified where it was diverted to.
//! * `alternatives/*` ([`alternatives`]): the update-alternatives symlinks,
//!   registered to the package providing the selected choice.
//! * `etc/dpkg/dpkg.cfg.d/*`, `etc/dpkg/dpkg.cfg` ([`filters`]): files
//!   excluded by `path-exclude` may be missing.
//! * `info/NAME[:ARCH].{preinst,postinst,prerm,postrm,config}`: a
//!   package's maintainer scripts, read one package at a time when asked
//!   ([`Dpkg::scripts`]).
//!
//! dpkg records no file type, mode, owner, size or mtime: records have
//! `mode` 0 ("type unknown") and only the digest (and, for alternatives
//! symlinks, the link target) is compared. Problems with the database
//! itself (an unparseable stanza, an unreadable list, garbled lines) become
//! [`Database::notes`]; nothing is dropped silently.
//!
//! ```no_run
//! use rootaudit::pkgdb::dpkg;
//! use rootaudit::rootfs::Root;
//! let root = Root::open("/".as_ref())?;
//! let db = dpkg::read(&root, "var/lib/dpkg/status".as_ref())?;
//! println!("{} packages", db.packages.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod alternatives;
pub mod diversions;
pub mod filters;
pub mod info;
mod notes;
mod ownership;
mod package;
mod reader;
mod scripts;
pub mod status;

use std::path::{Path, PathBuf};

use self::diversions::Diversions;
use self::filters::PathFilters;
use self::ownership::Ownership;
use self::reader::{Reader, Stanza};
use self::status::PackageState;
use crate::error::{DatabaseError, Error};
use crate::model::Finding;
use crate::pkgdb::{Database, Package, PathKeyer};
use crate::rootfs::Root;

/// Largest status file read: a big desktop's is a few MiB; the limit is
/// what the reader may hold, so a sparse giant costs its planter nothing
/// and the audit a clear error.
const STATUS_LIMIT: u64 = 128 << 20;

/// Read the dpkg database whose status file is `rel` (normally
/// `var/lib/dpkg/status`; or a distroless `var/lib/dpkg/status.d`
/// directory) into memory. The admin directory is `rel`'s parent.
pub fn read(root: &Root, rel: &Path) -> Result<Database, Error> {
    crate::pkgdb::Source::dpkg(open(root, rel)?).load(root)
}

/// A dpkg database opened for streaming ([`crate::pkgdb::Source`]).
///
/// Which package a record belongs to cannot be known from one package
/// alone: a path another package's `.list` names was taken over by it, and
/// an update-alternatives link belongs to the package providing the
/// selected choice. [`open`] settles both in one pass over every list, with
/// keyed path hashes rather than copies of the paths, and keeps only the
/// outcome (the few taken-over records, the alternatives links); each pass
/// of [`Dpkg::read`] then reads every package's files again and lets them
/// go a batch at a time.
pub struct Dpkg {
    path: PathBuf,
    admindir: PathBuf,
    /// Stanzas of the packages whose files are unpacked, in order.
    stanzas: Vec<Stanza>,
    diversions: Diversions,
    filters: PathFilters,
    keyer: PathKeyer,
    /// Records taken over by another package; alternatives links.
    owners: Ownership,
    /// Findings about the database, made when it was opened.
    notes: Vec<Finding>,
}

impl std::fmt::Debug for Dpkg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dpkg")
            .field("path", &self.path)
            .field("packages", &self.stanzas.len())
            .finish_non_exhaustive()
    }
}

/// Open the dpkg database whose status file is `rel` (see [`read`]): read
/// `status`, `diversions`, the path filters and the alternatives, and
/// settle ownership between packages (one pass over every package's files).
pub fn open(root: &Root, rel: &Path) -> Result<Dpkg, Error> {
    let abs = Path::new("/").join(rel);
    let db_err = |reason: DatabaseError| Error::Database {
        path: abs.clone(),
        reason,
    };
    let entry = root.lookup_follow(rel).map_err(|e| db_err(e.into()))?;
    let admindir = rel.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut r = Reader::new(root, admindir);
    let mut stanzas = Vec::new();
    // Whether what was read names packages at all: a database whose every
    // stanza is damaged is still a damaged database (findings), not
    // "unknown format".
    let mut names_packages = true;
    if entry.stat.is_dir() {
        r.read_status_d(rel, &mut stanzas)
            .map_err(|e| db_err(e.into()))?;
    } else if entry.stat.is_regular() {
        let data = root
            .read_small(rel, STATUS_LIMIT)
            .map_err(|e| db_err(e.into()))?;
        names_packages = status::names_packages(&data);
        r.add_stanzas(&data, None, &mut stanzas);
        let status_d = r.admindir.join("status.d");
        match root.lookup_follow(&status_d) {
            Ok(e) if e.stat.is_dir() => {
                if let Err(e) = r.read_status_d(&status_d, &mut stanzas) {
                    r.note_unreadable(&status_d, &e);
                }
            }
            _ => {}
        }
    } else {
        return Err(db_err(DatabaseError::NotRegular));
    }
    if r.malformed > 0 && stanzas.is_empty() && !names_packages {
        // Nothing parsed at all: this is not a dpkg status file.
        return Err(db_err(DatabaseError::UnknownFormat));
    }

    let diversions = r.read_diversions();
    let filters = r.read_filters();
    let mut half_installed = Vec::new();
    let mut config_files = 0u64;
    stanzas.retain(|s| match s.entry.state {
        Some(st) if st.files_unpacked() => true,
        None => true,
        Some(PackageState::HalfInstalled) => {
            half_installed.push(s.entry.name.clone());
            false
        }
        Some(PackageState::ConfigFiles) => {
            config_files += 1;
            false
        }
        Some(_) => false,
    });
    let keyer = PathKeyer::new();
    let owners = Ownership::settle(&mut r, &stanzas, &diversions, &filters, &keyer);

    if !half_installed.is_empty() {
        r.notes.push(notes::half_installed(half_installed));
    }
    if config_files > 0 {
        r.notes.push(notes::config_files(config_files));
    }
    Ok(Dpkg {
        path: abs,
        admindir: r.admindir,
        stanzas,
        diversions,
        filters,
        keyer,
        owners,
        notes: r.notes,
    })
}

impl Dpkg {
    /// The status file's (or `status.d`'s) path inside the target.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One pass over every package, in status order (see
    /// [`crate::pkgdb::Source::read`]): each package's files are read
    /// again; the notes are those made when the database was opened.
    pub fn read(
        &self,
        root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> crate::pkgdb::PassOutcome {
        // Its notes are made again on every pass; those of `open` are
        // reported.
        let mut r = Reader::new(root, self.admindir.clone());
        let mut batch = Vec::with_capacity(crate::pkgdb::BATCH);
        for (i, s) in self.stanzas.iter().enumerate() {
            let (b, _) = r.build_package(s, &self.diversions, &self.filters, &self.keyer);
            batch.push(self.owners.apply(i, b));
            if batch.len() == crate::pkgdb::BATCH {
                each(&batch);
                batch.clear();
            }
            r.notes.clear();
        }
        if !batch.is_empty() {
            each(&batch);
        }
        crate::pkgdb::PassOutcome {
            malformed: Vec::new(),
            notes: self.notes.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
