//! Where package databases live and how each is opened: the detection
//! table [`FORMATS`], one [`FormatSpec`] row per format, and [`open`].
//!
//! A new database format is one new module (a [`super::Backend`]) plus one
//! row here. Auto-detection tries each row's locations in table order and
//! uses the first that exists; the others found are reported
//! (`also_found`). A table of one's own can be given to [`open_with`] (and
//! `ScanBuilder::formats`), e.g. to add a format outside this crate.

use std::path::{Path, PathBuf};

use super::{Source, dpkg, rpm};
use crate::error::Error;
use crate::rootfs::Root;

/// A database format's name, as `--db` and reports spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DbFormat(&'static str);

impl DbFormat {
    /// RPM's SQLite backend (`rpmdb.sqlite`).
    pub const RPM_SQLITE: DbFormat = DbFormat("rpm-sqlite");
    /// RPM's BerkeleyDB hash backend (`Packages`).
    pub const RPM_BDB: DbFormat = DbFormat("rpm-bdb");
    /// RPM's NDB backend (`Packages.db`).
    pub const RPM_NDB: DbFormat = DbFormat("rpm-ndb");
    /// dpkg's `status` and `info/` files.
    pub const DPKG: DbFormat = DbFormat("dpkg");
    /// Gentoo portage's `var/db/pkg` (the vdb).
    pub const PORTAGE: DbFormat = DbFormat("portage");
    /// pkgsrc's `PKG_DBDIR` of `+CONTENTS` packing lists.
    pub const PKGSRC: DbFormat = DbFormat("pkgsrc");
    /// pacman's local database (`var/lib/pacman/local`).
    pub const PACMAN: DbFormat = DbFormat("pacman");
    /// apk's installed database (`lib/apk/db/installed`).
    pub const APK: DbFormat = DbFormat("apk");

    /// A format named `name` (kebab-case), for a table of one's own.
    pub const fn new(name: &'static str) -> DbFormat {
        DbFormat(name)
    }

    /// Kebab-case name, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The format of [`FORMATS`] named `s` (a `--db` value).
    pub fn parse(s: &str) -> Option<DbFormat> {
        FORMATS.iter().map(|f| f.format).find(|f| f.0 == s)
    }
}

impl std::fmt::Display for DbFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// One row of the detection table.
#[derive(Clone, Copy, Debug)]
pub struct FormatSpec {
    /// The format.
    pub format: DbFormat,
    /// Where it lives, relative to ROOT, in the order to try.
    pub locations: &'static [&'static str],
    /// Its file's name inside a database directory given with `--dbpath`.
    pub file_name: &'static str,
    /// The locations are parts of one database, not alternatives (dpkg's
    /// `status` and `status.d`): finding several is not worth reporting.
    pub together: bool,
    /// Open the database at a path (relative to ROOT) for streaming.
    pub open: fn(&Root, &Path) -> Result<Source, Error>,
}

/// Every format this build reads, in auto-detection order.
pub static FORMATS: &[FormatSpec] = &[
    FormatSpec {
        format: DbFormat::RPM_SQLITE,
        // Fedora ≥ 36, openSUSE; RHEL 9, Amazon Linux 2023, older Fedora.
        locations: &[
            "usr/lib/sysimage/rpm/rpmdb.sqlite",
            "var/lib/rpm/rpmdb.sqlite",
        ],
        file_name: "rpmdb.sqlite",
        together: false,
        open: |root, rel| Ok(Source::sqlite(rpm::sqlite::Reader::open(root, rel)?)),
    },
    FormatSpec {
        format: DbFormat::RPM_NDB,
        // SLES 15.
        locations: &[
            "usr/lib/sysimage/rpm/Packages.db",
            "var/lib/rpm/Packages.db",
        ],
        file_name: "Packages.db",
        together: false,
        open: |root, rel| Ok(Source::stored(rpm::ndb::open(root, rel)?)),
    },
    FormatSpec {
        format: DbFormat::RPM_BDB,
        // RHEL/CentOS 7–8, SLES 12.
        locations: &["usr/lib/sysimage/rpm/Packages", "var/lib/rpm/Packages"],
        file_name: "Packages",
        together: false,
        open: |root, rel| Ok(Source::stored(rpm::bdb::open(root, rel)?)),
    },
    FormatSpec {
        format: DbFormat::DPKG,
        // Debian, Ubuntu; distroless images keep one stanza file per
        // package in `status.d` and no `status`.
        locations: &["var/lib/dpkg/status", "var/lib/dpkg/status.d"],
        file_name: "status",
        together: true,
        open: |root, rel| Ok(Source::dpkg(dpkg::open(root, rel)?)),
    },
    FormatSpec {
        format: DbFormat::PACMAN,
        // Arch Linux and its derivatives: one directory per package.
        locations: &["var/lib/pacman/local"],
        file_name: "local",
        together: false,
        open: |root, rel| Ok(super::pacman::source(super::pacman::open(root, rel)?)),
    },
    FormatSpec {
        format: DbFormat::APK,
        // Alpine Linux (apk-tools 2 and 3 both write this text file).
        locations: &["lib/apk/db/installed"],
        file_name: "installed",
        together: false,
        open: |root, rel| Ok(super::apk::source(super::apk::open(root, rel)?)),
    },
    FormatSpec {
        format: DbFormat::PORTAGE,
        // Gentoo. NetBSD's pkgsrc uses `var/db/pkg` too: the reader tells
        // them apart by content and passes it on (see `open_with`).
        locations: &["var/db/pkg"],
        file_name: "",
        together: false,
        open: |root, rel| super::portage::source(root, rel),
    },
    FormatSpec {
        format: DbFormat::PKGSRC,
        // pkgsrc ≥ 2020 (`PREFIX/pkgdb`), NetBSD and older pkgsrc, MINIX,
        // SmartOS and macOS (`/opt/pkg`); else `PKG_DBDIR` from the
        // target's settings.
        locations: super::pkgsrc::LOCATIONS,
        file_name: "",
        // Settings files name the directory: not databases of their own.
        together: true,
        open: |root, rel| super::pkgsrc::source(root, rel),
    },
];

/// [`open_with`] the built-in [`FORMATS`].
pub fn open(root: &Root, dbpath: Option<&Path>, format: Option<DbFormat>) -> Result<Source, Error> {
    open_with(root, dbpath, format, FORMATS)
}

/// Find the database in `root` among `formats`, or use `dbpath` (inside
/// ROOT: the database file or its directory) and/or `format` when given,
/// and open it for streaming ([`Source::read`]).
pub fn open_with(
    root: &Root,
    dbpath: Option<&Path>,
    format: Option<DbFormat>,
    formats: &[FormatSpec],
) -> Result<Source, Error> {
    let wanted = |f: &&FormatSpec| format.is_none_or(|w| w == f.format);
    let candidates: Vec<(&FormatSpec, PathBuf)> = match dbpath {
        Some(p) => {
            let rel = p.strip_prefix("/").unwrap_or(p).to_path_buf();
            let is_dir = root
                .lookup_follow(&rel)
                .map(|e| e.stat.is_dir())
                .unwrap_or(false);
            if is_dir {
                formats
                    .iter()
                    .filter(wanted)
                    .map(|f| (f, rel.join(f.file_name)))
                    .collect()
            } else {
                // A file: the format asked for, or the one whose file name
                // it has, or the first.
                let name = rel.file_name().and_then(|n| n.to_str());
                let spec = formats
                    .iter()
                    .filter(wanted)
                    .find(|f| format.is_some() || Some(f.file_name) == name)
                    .or_else(|| formats.first());
                spec.map(|f| (f, rel)).into_iter().collect()
            }
        }
        None => formats
            .iter()
            .filter(wanted)
            .flat_map(|f| f.locations.iter().map(move |p| (f, PathBuf::from(p))))
            .collect(),
    };
    let mut found = Vec::new();
    for (spec, rel) in &candidates {
        match root.lstat(rel) {
            Ok(_) => found.push((*spec, rel.clone())),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) => {}
            Err(e) => {
                return Err(Error::Database {
                    path: Path::new("/").join(rel),
                    reason: e.into(),
                });
            }
        }
    }
    if found.is_empty() {
        return Err(Error::NoDatabase {
            root: root.path().to_path_buf(),
            looked: candidates
                .iter()
                .map(|(_, p)| format!("/{}", p.display()))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut db = loop {
        let (spec, rel) = found[0].clone();
        match (spec.open)(root, &rel) {
            Ok(db) => break db,
            // Two formats can claim one location (`var/db/pkg`: portage,
            // and pkgsrc on NetBSD): one that does not recognise what is
            // there leaves it to the next that claims it. Nothing else
            // falls through: a damaged database is never traded for
            // another one.
            Err(Error::Database {
                reason: crate::error::DatabaseError::UnknownFormat,
                ..
            }) if found[1..]
                .iter()
                .any(|(f, p)| *p == rel && f.format != spec.format) =>
            {
                found.remove(0);
            }
            Err(e) => return Err(e),
        }
    };
    let (spec, rel) = found[0].clone();
    // The same file can be listed twice (usr/lib/sysimage/rpm is often a
    // symlink target of var/lib/rpm); report only distinct databases.
    let used = root
        .lookup_follow(&rel)
        .ok()
        .map(|e| (e.stat.dev, e.stat.ino));
    for (f, p) in found.into_iter().skip(1) {
        let same = root
            .lookup_follow(&p)
            .ok()
            .map(|e| (e.stat.dev, e.stat.ino))
            == used;
        // dpkg reads `status.d` beside `status` as part of one database.
        let together = f.format == spec.format && spec.together;
        // A directory format's location that holds the database used (a
        // `--dbpath` directory) is not another database.
        let holds = rel.starts_with(&p);
        if !same && !together && !holds {
            db.also_found.push((f.format, Path::new("/").join(p)));
        }
    }
    Ok(db)
}
