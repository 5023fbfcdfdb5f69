//! Package databases: where the target says what it installed.
//!
//! Every supported format is read into the same shape: a [`Database`] of
//! [`Package`]s, each with the [`FileRecord`]s it registered. Checks never
//! see a format; a new database format is a new submodule here plus one arm
//! in [`DbFormat`] and [`open`].
//!
//! Formats today: [`rpm::sqlite`] (`rpmdb.sqlite`, Fedora ≥ 33, RHEL ≥ 9,
//! openSUSE, Amazon Linux 2023).

pub mod rpm;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::target::Root;

/// Which on-disk database format a [`Database`] was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DbFormat {
    /// RPM's SQLite backend (`rpmdb.sqlite`).
    RpmSqlite,
}

impl DbFormat {
    /// Kebab-case name, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            DbFormat::RpmSqlite => "rpm-sqlite",
        }
    }
}

/// Where auto-detection looks, in order, relative to ROOT.
pub const CANDIDATES: &[(DbFormat, &str)] = &[
    (DbFormat::RpmSqlite, "usr/lib/sysimage/rpm/rpmdb.sqlite"),
    (DbFormat::RpmSqlite, "var/lib/rpm/rpmdb.sqlite"),
];

/// A package database read into memory.
#[derive(Debug)]
pub struct Database {
    /// Its format.
    pub format: DbFormat,
    /// Its path inside the target (absolute, not prefixed with ROOT).
    pub path: PathBuf,
    /// Every record that parsed, in database order (including `gpg-pubkey`
    /// pseudo-packages; see [`Package::is_pubkey`]).
    pub packages: Vec<Package>,
    /// Records that could not be parsed: never dropped silently.
    pub malformed: Vec<MalformedRecord>,
    /// True when uncommitted-to-main-file transactions (a WAL) were read
    /// through a private copy.
    pub read_wal: bool,
}

/// A database record whose package data could not be parsed.
#[derive(Debug)]
pub struct MalformedRecord {
    /// The record's key in the database (rpm: header instance number).
    pub record: u64,
    /// Why it could not be parsed.
    pub error: rpm::header::HeaderError,
}

/// One installed package.
#[derive(Debug)]
pub struct Package {
    /// Record key in its database (rpm: header instance).
    pub record: u64,
    /// Name.
    pub name: String,
    /// Epoch, if any.
    pub epoch: Option<u32>,
    /// Version.
    pub version: String,
    /// Release.
    pub release: String,
    /// Architecture (absent for `gpg-pubkey`).
    pub arch: Option<String>,
    /// The files it registered.
    pub files: Vec<FileRecord>,
    /// The rpm header it was read from, for the trust checks (absent for
    /// formats without headers).
    pub header: Option<rpm::header::Header>,
}

impl Package {
    /// `name-[epoch:]version-release.arch`, as `rpm -qa` prints it (without
    /// the epoch, like rpm's default `%{nevra}` query format for epoch-less
    /// packages).
    pub fn nevra(&self) -> String {
        let mut s = self.name.clone();
        s.push('-');
        if let Some(e) = self.epoch {
            s.push_str(&format!("{e}:"));
        }
        s.push_str(&self.version);
        s.push('-');
        s.push_str(&self.release);
        if let Some(a) = &self.arch {
            s.push('.');
            s.push_str(a);
        }
        s
    }

    /// `name.arch`: the identity that survives an update.
    pub fn key(&self) -> String {
        match &self.arch {
            Some(a) => format!("{}.{a}", self.name),
            None => self.name.clone(),
        }
    }

    /// True for rpm's `gpg-pubkey` pseudo-packages (imported keys).
    pub fn is_pubkey(&self) -> bool {
        self.name == "gpg-pubkey"
    }
}

bitflags::bitflags! {
    /// Per-file flags (rpm's `RPMFILE_*` bit values).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct FileFlags: u32 {
        /// `%config`
        const CONFIG = 1 << 0;
        /// `%doc`
        const DOC = 1 << 1;
        /// `%missingok`
        const MISSINGOK = 1 << 3;
        /// The spec file of a source package.
        const SPECFILE = 1 << 5;
        /// `%config(noreplace)`
        const NOREPLACE = 1 << 4;
        /// `%ghost`
        const GHOST = 1 << 6;
        /// `%license`
        const LICENSE = 1 << 7;
        /// `%readme`
        const README = 1 << 8;
        /// `%artifact`
        const ARTIFACT = 1 << 12;
        /// Any bit rpm may add later.
        const _ = !0;
    }
}

impl FileFlags {
    /// rpm's one-letter attribute mark as `rpm -V` prints it (first of
    /// `c d g l r`... in rpm's `rpmFFlagsString` order), or a space.
    pub fn mark(self) -> char {
        // rpmFFlagsString order: d c s m n g l r a; rpm -V prints the first.
        if self.contains(FileFlags::DOC) {
            'd'
        } else if self.contains(FileFlags::CONFIG) {
            'c'
        } else if self.contains(FileFlags::SPECFILE) {
            's'
        } else if self.contains(FileFlags::MISSINGOK) {
            'm'
        } else if self.contains(FileFlags::NOREPLACE) {
            'n'
        } else if self.contains(FileFlags::GHOST) {
            'g'
        } else if self.contains(FileFlags::LICENSE) {
            'l'
        } else if self.contains(FileFlags::README) {
            'r'
        } else if self.contains(FileFlags::ARTIFACT) {
            'a'
        } else {
            ' '
        }
    }
}

/// Install state of one file (rpm's FILESTATES).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FileState {
    /// Installed normally (or no state recorded).
    #[default]
    Normal,
    /// Replaced by another package's file: only existence is checked.
    Replaced,
    /// Not installed (`--excludedocs`, `%_install_langs`): skipped.
    NotInstalled,
    /// On a network-shared path: skipped.
    NetShared,
    /// Multilib file of the other colour: digest, size, mtime, rdev skipped.
    WrongColor,
    /// Missing at install time.
    Missing,
}

impl FileState {
    /// From rpm's `RPMFILE_STATE_*` value.
    pub fn from_rpm(v: i8) -> FileState {
        match v {
            1 => FileState::Replaced,
            2 => FileState::NotInstalled,
            3 => FileState::NetShared,
            4 => FileState::WrongColor,
            5 => FileState::Missing,
            _ => FileState::Normal,
        }
    }
}

/// A file digest algorithm (rpm's PGPHASHALGO values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlgo {
    /// 1 (and the default when FILEDIGESTALGO is absent).
    Md5,
    /// 2
    Sha1,
    /// 8
    Sha256,
    /// 9
    Sha384,
    /// 10
    Sha512,
    /// 11
    Sha224,
    /// Anything else: the digest cannot be checked (`?`).
    Unknown(u32),
}

impl DigestAlgo {
    /// From rpm's FILEDIGESTALGO value.
    pub fn from_rpm(v: u32) -> DigestAlgo {
        match v {
            1 => DigestAlgo::Md5,
            2 => DigestAlgo::Sha1,
            8 => DigestAlgo::Sha256,
            9 => DigestAlgo::Sha384,
            10 => DigestAlgo::Sha512,
            11 => DigestAlgo::Sha224,
            n => DigestAlgo::Unknown(n),
        }
    }

    /// Lower-case name.
    pub fn name(self) -> String {
        match self {
            DigestAlgo::Md5 => "md5".into(),
            DigestAlgo::Sha1 => "sha1".into(),
            DigestAlgo::Sha256 => "sha256".into(),
            DigestAlgo::Sha384 => "sha384".into(),
            DigestAlgo::Sha512 => "sha512".into(),
            DigestAlgo::Sha224 => "sha224".into(),
            DigestAlgo::Unknown(n) => format!("unknown-{n}"),
        }
    }
}

/// What a package recorded about one file.
#[derive(Clone, Debug)]
pub struct FileRecord {
    /// Absolute path inside the target.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Mode including file type bits.
    pub mode: u32,
    /// Device number (rpm keeps 16 bits).
    pub rdev: u32,
    /// Modification time, seconds.
    pub mtime: u32,
    /// Algorithm of [`FileRecord::digest`].
    pub digest_algo: DigestAlgo,
    /// Content digest; empty when the package recorded none.
    pub digest: Vec<u8>,
    /// Symlink target; empty for non-links.
    pub link_to: Vec<u8>,
    /// `%config`, `%ghost`, ….
    pub flags: FileFlags,
    /// Which attributes the package wants verified (`%verify(...)`),
    /// rpm's FILEVERIFYFLAGS; all by default.
    pub verify: crate::finding::VerifyAttrs,
    /// Owner name.
    pub user: String,
    /// Group name.
    pub group: String,
    /// Capabilities in `cap_from_text` form; empty for none.
    pub caps: String,
    /// Install state.
    pub state: FileState,
}

impl FileRecord {
    /// The path as bytes.
    pub fn path_bytes(&self) -> &[u8] {
        self.path.as_os_str().as_bytes()
    }

    /// The record's link target as a path.
    pub fn link_path(&self) -> &Path {
        Path::new(OsStr::from_bytes(&self.link_to))
    }
}

/// How many packages register each path: rpm does not report mtime
/// differences of shared files, and later checks ask "is this owned?".
#[derive(Debug, Default)]
pub struct OwnershipIndex {
    owners: HashMap<PathBuf, u32>,
}

impl OwnershipIndex {
    /// Index every file of every package.
    pub fn build(packages: &[Package]) -> OwnershipIndex {
        let mut owners: HashMap<PathBuf, u32> = HashMap::new();
        for p in packages {
            for f in &p.files {
                *owners.entry(f.path.clone()).or_default() += 1;
            }
        }
        OwnershipIndex { owners }
    }

    /// How many packages register `path`.
    pub fn owner_count(&self, path: &Path) -> u32 {
        self.owners.get(path).copied().unwrap_or(0)
    }
}

/// Find the database in `root`, or use `dbpath` (inside ROOT) when given.
pub fn open(root: &Root, dbpath: Option<&Path>) -> Result<Database, Error> {
    let candidates: Vec<(DbFormat, PathBuf)> = match dbpath {
        Some(p) => {
            let rel = p.strip_prefix("/").unwrap_or(p);
            let file = if rel.extension().is_some() {
                rel.to_path_buf()
            } else {
                rel.join("rpmdb.sqlite")
            };
            vec![(DbFormat::RpmSqlite, file)]
        }
        None => CANDIDATES
            .iter()
            .map(|(f, p)| (*f, PathBuf::from(p)))
            .collect(),
    };
    for (format, rel) in &candidates {
        match root.lstat(rel) {
            Ok(_) => {
                return match format {
                    DbFormat::RpmSqlite => rpm::sqlite::read(root, rel),
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Error::Database {
                    path: Path::new("/").join(rel),
                    reason: e.into(),
                });
            }
        }
    }
    Err(Error::NoDatabase {
        root: root.path().to_path_buf(),
        looked: candidates
            .iter()
            .map(|(_, p)| format!("/{}", p.display()))
            .collect::<Vec<_>>()
            .join(", "),
    })
}
