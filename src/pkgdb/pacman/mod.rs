//! pacman (package database stage): Arch Linux's local database,
//! `var/lib/pacman/local`, read without writing into the common
//! [`Database`](crate::pkgdb::Database) shape.
//!
//! The format's source of truth is libalpm: `lib/libalpm/be_local.c`
//! (the entry directories and their `desc`/`files`), and the `mtree` each
//! entry keeps, which makepkg writes with libarchive's mtree writer
//! (mtree(5)) and `pacman -Qkk` (`src/pacman/check.c`) reads back. What is
//! read, all through the confined [`Root`]:
//!
//! * `ALPM_DB_VERSION` is not needed; every directory of `local/` is one
//!   installed package, [`Package::record`] its position in name order;
//! * `NAME-VERSION/desc` ([`desc`]): `%NAME%`, `%VERSION%`
//!   (`[EPOCH:]PKGVER-PKGREL`), `%ARCH%`;
//! * `NAME-VERSION/files`: `%FILES%`, every path the package owns, and
//!   `%BACKUP%`, its configuration files (`FileFlags::CONFIG`), each with
//!   the MD5 pacman recorded;
//! * `NAME-VERSION/mtree` ([`mtree`], gzip'd): per path the type, mode,
//!   uid, gid, size, mtime, SHA-256 (and MD5) digest and symlink target.
//!   The archive's own members (`.PKGINFO`, `.BUILDINFO`, `.MTREE`,
//!   `.INSTALL`, `.CHANGELOG`: top-level names starting with `.`) are
//!   skipped, as `pacman -Qkk` skips them.
//!
//! Every attribute `pacman -Qkk` (6.x) compares is compared: type and mode
//! `M`, uid `U`, gid `G`, mtime `T`, size `S`, symlink target `L`, and the
//! content digest `5` (SHA-256, else MD5). Two differences: a symlink's own
//! mtime is not compared (rpm's rule, which the files check keeps), and a
//! changed backup file is a `config` finding of low severity where pacman
//! prints an informational line. The mtree
//! records numeric ids; the records name them through the target's own
//! `etc/passwd` and `etc/group` (as the files check resolves names), and an
//! id those files do not name is not compared. A path of `%FILES%` the
//! mtree lacks (a damaged or missing mtree) is checked for existence, and
//! a backup file without an mtree digest against its `%BACKUP%` MD5.
//! Damage to the database (an unreadable file, garbled lines) becomes a
//! `check-incomplete` note; an entry without a readable `desc` naming the
//! package is a [`MalformedRecord`](crate::pkgdb::MalformedRecord).
//!
//! ```no_run
//! use rootaudit::pkgdb::pacman;
//! use rootaudit::rootfs::Root;
//! let root = Root::open("/".as_ref())?;
//! let db = pacman::read(&root, "var/lib/pacman/local".as_ref())?;
//! println!("{} packages", db.packages.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod desc;
pub mod mtree;

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use self::desc::Desc;
use self::mtree::{Entry, Kind};
use crate::error::{DatabaseError, Error};
use crate::model::evidence::DatabaseProblem;
use crate::model::{About, Finding, Severity, VerifyAttrs};
use crate::pkgdb::{
    BATCH, BATCH_BYTES, Backend, Database, DbFormat, DigestAlgo, FileFlags, FileRecord, FileState,
    MalformedRecord, Package, PassOutcome, Source,
};
use crate::rootfs::accounts::Accounts;
use crate::rootfs::{Root, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG};

/// Largest `desc`, `files` or (compressed) `mtree` read: the biggest real
/// ones are a few MiB; a bigger one is a finding.
const FILE_LIMIT: u64 = 64 << 20;

/// Largest `etc/passwd` or `etc/group` read to name the recorded ids.
const ACCOUNTS_LIMIT: u64 = 64 << 20;

/// `S_IFSOCK`.
const S_IFSOCK: u32 = 0o140000;

/// What the mtree lets rootaudit compare.
pub const ATTRIBUTES: VerifyAttrs = VerifyAttrs::DIGEST
    .union(VerifyAttrs::SIZE)
    .union(VerifyAttrs::LINKTO)
    .union(VerifyAttrs::USER)
    .union(VerifyAttrs::GROUP)
    .union(VerifyAttrs::MTIME)
    .union(VerifyAttrs::MODE);

/// Why a local database entry is not a package.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PacmanError {
    /// Its `desc` cannot be read.
    #[error("{entry}: desc unreadable: {source}")]
    DescUnreadable {
        /// The entry's directory name.
        entry: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Its `desc` names no package (`%NAME%` missing).
    #[error("{entry}: desc has no %NAME%")]
    NoName {
        /// The entry's directory name.
        entry: String,
    },
}

/// Read the pacman database whose local directory is `rel` (normally
/// `var/lib/pacman/local`) into memory.
pub fn read(root: &Root, rel: &Path) -> Result<Database, Error> {
    source(open(root, rel)?).load(root)
}

/// The [`Source`] streaming `db`.
pub fn source(db: Pacman) -> Source {
    Source::new(DbFormat::PACMAN, db.path.clone(), ATTRIBUTES, Box::new(db))
}

/// A pacman local database opened for streaming: the names of its entry
/// directories and the target's accounts; each pass reads every entry
/// again and lets it go a batch at a time.
pub struct Pacman {
    /// `local/` inside the target (absolute).
    path: PathBuf,
    /// `local/` relative to ROOT.
    rel: PathBuf,
    /// Entry directory names, in name order.
    entries: Vec<OsString>,
    /// Names for the recorded ids.
    owners: Owners,
}

impl std::fmt::Debug for Pacman {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacman")
            .field("path", &self.path)
            .field("packages", &self.entries.len())
            .finish_non_exhaustive()
    }
}

/// Open the local database directory `rel` (see [`read`]): list its entry
/// directories and read the target's accounts.
pub fn open(root: &Root, rel: &Path) -> Result<Pacman, Error> {
    let abs = Path::new("/").join(rel);
    let db_err = |reason: DatabaseError| Error::Database {
        path: abs.clone(),
        reason,
    };
    let dir = root.lookup_follow(rel).map_err(|e| db_err(e.into()))?;
    if !dir.stat.is_dir() {
        return Err(db_err(DatabaseError::UnknownFormat));
    }
    let entries = root
        .read_dir(rel)
        .map_err(|e| db_err(e.into()))?
        .into_iter()
        .filter(|e| e.stat.is_dir())
        .map(|e| e.name)
        .collect();
    Ok(Pacman {
        path: abs,
        rel: rel.to_path_buf(),
        entries,
        owners: Owners::load(root),
    })
}

impl Pacman {
    /// The local directory's path inside the target.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One pass over every entry, in name order.
    pub fn read(&self, root: &Root, each: &mut (dyn FnMut(&[Package]) + Send)) -> PassOutcome {
        let mut out = PassOutcome::default();
        let mut batch = Vec::with_capacity(BATCH);
        let mut bytes = 0usize;
        for (i, name) in self.entries.iter().enumerate() {
            match self.package(root, i as u64, name, &mut out.notes) {
                Ok(p) => {
                    bytes += p
                        .files
                        .iter()
                        .map(|f| f.path.as_os_str().len() + f.link_to.len() + 128)
                        .sum::<usize>();
                    batch.push(p);
                }
                Err(e) => out.malformed.push(MalformedRecord {
                    record: i as u64,
                    error: std::sync::Arc::new(e),
                    native: None,
                }),
            }
            if batch.len() == BATCH || bytes >= BATCH_BYTES {
                each(&batch);
                batch.clear();
                bytes = 0;
            }
        }
        if !batch.is_empty() {
            each(&batch);
        }
        out
    }

    /// The package of entry `name`, record `record`; notes about its files
    /// onto `notes`.
    fn package(
        &self,
        root: &Root,
        record: u64,
        name: &OsStr,
        notes: &mut Vec<Finding>,
    ) -> Result<Package, PacmanError> {
        let entry = String::from_utf8_lossy(name.as_bytes()).into_owned();
        let dir = self.rel.join(name);
        let mut d = Desc::default();
        let desc_path = dir.join("desc");
        let data = root.read_small(&desc_path, FILE_LIMIT).map_err(|source| {
            PacmanError::DescUnreadable {
                entry: entry.clone(),
                source,
            }
        })?;
        desc::parse(&data, &mut d);
        let Some(pkgname) = d.name.clone() else {
            return Err(PacmanError::NoName { entry });
        };
        let (epoch, version, release) = desc::split_version(d.version.as_deref().unwrap_or(""));
        let key = crate::model::package_key(&pkgname, d.arch.as_deref());
        let mut note = |rel: &Path, problem: DatabaseProblem| {
            notes.push(incomplete(Path::new("/").join(rel), key.clone(), problem));
        };
        if !d.bad_lines.is_empty() {
            note(&desc_path, DatabaseProblem::bad_lines(&d.bad_lines));
        }

        let files_path = dir.join("files");
        match root.read_small(&files_path, FILE_LIMIT) {
            Ok(data) => {
                let before = d.bad_lines.len();
                desc::parse(&data, &mut d);
                if d.bad_lines.len() > before {
                    note(
                        &files_path,
                        DatabaseProblem::bad_lines(&d.bad_lines[before..]),
                    );
                }
            }
            Err(e) if is_absent(&e) => {}
            Err(e) => note(&files_path, DatabaseProblem::Unreadable { error: e.into() }),
        }

        let mtree_path = dir.join("mtree");
        let tree = match root.read_small(&mtree_path, FILE_LIMIT) {
            Ok(data) => {
                let (m, err) = mtree::read(&data);
                if let Some(e) = err {
                    let error = io::Error::new(io::ErrorKind::InvalidData, e);
                    note(
                        &mtree_path,
                        DatabaseProblem::Unreadable {
                            error: error.into(),
                        },
                    );
                }
                if !m.bad_lines.is_empty() {
                    note(&mtree_path, DatabaseProblem::bad_lines(&m.bad_lines));
                }
                m
            }
            Err(e) => {
                if !is_absent(&e) {
                    note(&mtree_path, DatabaseProblem::Unreadable { error: e.into() });
                }
                mtree::Mtree::default()
            }
        };

        let backup: std::collections::HashMap<Vec<u8>, Option<[u8; 16]>> = d
            .backup
            .iter()
            .map(|(p, md5)| (crate::pkgdb::normalize_path(&[p]), *md5))
            .collect();
        let mut files = Vec::with_capacity(tree.entries.len().max(d.files.len()));
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        for e in &tree.entries {
            if is_archive_member(&e.path) || e.path == b"/" || !seen.insert(e.path.clone()) {
                continue;
            }
            let mut rec = self.record(e);
            if let Some(md5) = backup.get(&e.path) {
                rec.flags |= FileFlags::CONFIG;
                if rec.digest.is_empty()
                    && let Some(md5) = md5
                {
                    rec.digest = md5.to_vec();
                    rec.digest_algo = DigestAlgo::Md5;
                    rec.verify |= VerifyAttrs::DIGEST;
                }
            }
            files.push(rec);
        }
        // Paths the mtree does not describe: existence only (a backup file
        // with its recorded MD5).
        let mut unverified_files = false;
        for p in &d.files {
            let is_dir = p.ends_with(b"/");
            let abs = crate::pkgdb::normalize_path(&[p]);
            if abs == b"/" || !seen.insert(abs.clone()) {
                continue;
            }
            let mut rec = bare_record(abs, if is_dir { S_IFDIR } else { 0 });
            if let Some(md5) = backup.get(rec.path.as_os_str().as_bytes()) {
                rec.flags |= FileFlags::CONFIG;
                if let Some(md5) = md5 {
                    rec.digest = md5.to_vec();
                    rec.digest_algo = DigestAlgo::Md5;
                    rec.verify = VerifyAttrs::DIGEST;
                }
            }
            unverified_files |= !is_dir && rec.digest.is_empty();
            files.push(rec);
        }
        Ok(Package {
            record,
            name: pkgname,
            epoch,
            version,
            release,
            arch: d.arch.clone(),
            files,
            native: None,
            // Files no mtree entry describes (no mtree, or a damaged one)
            // and no backup MD5 covers: checked for existence only.
            lacks_digests: unverified_files,
        })
    }

    /// The record of one mtree entry.
    fn record(&self, e: &Entry) -> FileRecord {
        let ftype = match e.kind {
            Kind::File => S_IFREG,
            Kind::Dir => S_IFDIR,
            Kind::Link => S_IFLNK,
            Kind::Block => S_IFBLK,
            Kind::Char => S_IFCHR,
            Kind::Fifo => S_IFIFO,
            Kind::Socket => S_IFSOCK,
        };
        let mut verify = VerifyAttrs::empty();
        let mut rec = bare_record(e.path.clone(), ftype);
        if let Some(m) = e.mode {
            rec.mode |= m;
            verify |= VerifyAttrs::MODE;
        } else if e.kind == Kind::Link {
            rec.mode |= 0o777;
        }
        match e.kind {
            Kind::File => {
                if let Some((algo, d)) = &e.digest {
                    rec.digest_algo = *algo;
                    rec.digest = d.clone();
                    verify |= VerifyAttrs::DIGEST;
                }
                if let Some(s) = e.size {
                    rec.size = s;
                    verify |= VerifyAttrs::SIZE;
                }
            }
            Kind::Link => {
                if let Some(l) = &e.link {
                    rec.link_to = l.clone();
                    verify |= VerifyAttrs::LINKTO;
                }
            }
            _ => {}
        }
        if e.kind != Kind::Link {
            // No target: a symlink found in its place is an `L` (as rpm
            // reports a file replaced by a symlink).
            verify |= VerifyAttrs::LINKTO;
        }
        if let Some(t) = e.time.and_then(|t| u32::try_from(t).ok())
            && e.kind != Kind::Dir
        {
            rec.mtime = t;
            verify |= VerifyAttrs::MTIME;
        }
        match self.owners.user(e.uid, e.uname.as_deref()) {
            Some(u) => {
                rec.user = u;
                verify |= VerifyAttrs::USER;
            }
            None => rec.user = "root".into(),
        }
        match self.owners.group(e.gid, e.gname.as_deref()) {
            Some(g) => {
                rec.group = g;
                verify |= VerifyAttrs::GROUP;
            }
            None => rec.group = "root".into(),
        }
        rec.verify = verify;
        rec
    }
}

impl Backend for Pacman {
    fn read(
        &self,
        root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> Result<PassOutcome, Error> {
        Ok(Pacman::read(self, root, each))
    }
}

/// A top-level name starting with `.`: one of the package archive's own
/// members (`/.PKGINFO`, `/.MTREE`, …), not an installed file.
fn is_archive_member(path: &[u8]) -> bool {
    path.starts_with(b"/.") && !path[1..].contains(&b'/')
}

/// A record of `path` of type `ftype` (0: unknown) checking nothing yet.
fn bare_record(path: Vec<u8>, ftype: u32) -> FileRecord {
    FileRecord {
        path: PathBuf::from(OsString::from_vec(path)),
        size: 0,
        mode: ftype,
        rdev: 0,
        mtime: 0,
        digest_algo: DigestAlgo::Sha256,
        digest: Vec::new(),
        link_to: Vec::new(),
        flags: FileFlags::empty(),
        verify: VerifyAttrs::empty(),
        user: String::new(),
        group: String::new(),
        caps: String::new(),
        state: FileState::Normal,
    }
}

/// A `check-incomplete` note about the database file at `path`
/// (absolute), for the package `key`.
fn incomplete(path: PathBuf, key: String, problem: DatabaseProblem) -> Finding {
    crate::pkgdb::incomplete(Severity::Medium, About::path(path).scope(key), problem)
}

/// Whether a read failed because the file is not there.
fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// Names for the numeric owners a database records, from the target's own
/// `etc/passwd` and `etc/group`: the files check compares names, resolved
/// back to ids the same way, so an id is named only when its name leads
/// back to it.
#[derive(Debug, Default)]
pub(crate) struct Owners(Accounts);

impl Owners {
    /// The target's accounts (only `root` when they cannot be read; the
    /// scan says so).
    pub(crate) fn load(root: &Root) -> Owners {
        let read = |p: &str| {
            root.read_small(Path::new(p), ACCOUNTS_LIMIT)
                .unwrap_or_default()
        };
        Owners(Accounts::parse(&read("etc/passwd"), &read("etc/group")))
    }

    /// The user name to record for `uid` (or the recorded `uname` when no
    /// uid is given); `None` when it cannot be named.
    pub(crate) fn user(&self, uid: Option<u32>, uname: Option<&[u8]>) -> Option<String> {
        match (uid, uname) {
            (Some(id), _) => self
                .0
                .user_name(id)
                .filter(|n| self.0.user_id(n) == Some(id))
                .map(str::to_owned),
            (None, Some(n)) => std::str::from_utf8(n).ok().map(str::to_owned),
            (None, None) => None,
        }
    }

    /// The group name to record for `gid` (see [`Owners::user`]).
    pub(crate) fn group(&self, gid: Option<u32>, gname: Option<&[u8]>) -> Option<String> {
        match (gid, gname) {
            (Some(id), _) => self
                .0
                .group_name(id)
                .filter(|n| self.0.group_id(n) == Some(id))
                .map(str::to_owned),
            (None, Some(n)) => std::str::from_utf8(n).ok().map(str::to_owned),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests;
