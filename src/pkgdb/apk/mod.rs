//! apk (package database stage): Alpine Linux's installed database,
//! `lib/apk/db/installed`, read without writing into the common
//! [`Database`](crate::pkgdb::Database) shape.
//!
//! The format's source of truth is apk-tools' `src/database.c`
//! (`apk_db_write_fdb`, `apk_db_fdb_read`, `apk_db_audit_file`);
//! apk-tools 3 (Alpine ≥ 3.23) still writes the same text file. What is
//! read, all through the confined [`Root`]:
//!
//! * `lib/apk/db/installed` ([`installed`]): one [`Package`] per stanza
//!   (`P:` name, `V:` version split at `-rN`, `A:` arch), its directories
//!   (`F:`, with `M:` owner and mode) and files (`R:`, with `a:` owner and
//!   mode and the `Z:` digest), streamed one stanza at a time;
//! * `etc/apk/protected_paths.d/*.list` (and apk's built-in `+etc`,
//!   `@etc/init.d`, `!etc/apk`): files under a protected path are
//!   configuration (`FileFlags::CONFIG`), which apk expects to be edited.
//!
//! apk records a digest, owner and permission bits, but no file type,
//! size or mtime. A symlink is an `R:` entry with mode `0777` whose
//! digest is that of its target *string*; such an entry that is a symlink
//! on disk is recorded as a symlink with that target when the digests
//! agree (so `L` passes), else with an empty expected target (so `L`
//! fails: the recorded target is known only by its digest). Every other
//! `R:` is a regular file, `F:` a directory. Owners are numeric; they are
//! named through the target's own `etc/passwd` and `etc/group`, and an id
//! those files do not name is not compared. Garbled lines become a
//! `check-incomplete` note; a stanza without `P:` a
//! [`MalformedRecord`](crate::pkgdb::MalformedRecord).
//!
//! ```no_run
//! use rootaudit::pkgdb::apk;
//! use rootaudit::rootfs::Root;
//! let root = Root::open("/".as_ref())?;
//! let db = apk::read(&root, "lib/apk/db/installed".as_ref())?;
//! println!("{} packages", db.packages.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod installed;

use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use self::installed::{Acl, Stanza, Stanzas};
use crate::error::{DatabaseError, Error};
use crate::model::evidence::DatabaseProblem;
use crate::model::{About, Severity, VerifyAttrs};
use crate::pkgdb::pacman::Owners;
use crate::pkgdb::{
    BATCH, BATCH_BYTES, Backend, Database, DbFormat, DigestAlgo, FileFlags, FileRecord, FileState,
    MalformedRecord, Package, PassOutcome, Source,
};
use crate::rootfs::{Root, S_IFDIR, S_IFLNK, S_IFREG};

/// Largest `installed` file read: a big system's is a few MiB.
const INSTALLED_LIMIT: u64 = 256 << 20;

/// Largest protected-paths list read.
const LIST_LIMIT: u64 = 1 << 20;

/// What the database lets rootaudit compare.
pub const ATTRIBUTES: VerifyAttrs = VerifyAttrs::DIGEST
    .union(VerifyAttrs::LINKTO)
    .union(VerifyAttrs::USER)
    .union(VerifyAttrs::GROUP)
    .union(VerifyAttrs::MODE);

/// apk's defaults: a directory `root:root 0755`, a file `root:root 0644`.
const DIR_ACL: Acl = Acl {
    uid: 0,
    gid: 0,
    mode: 0o755,
};
const FILE_ACL: Acl = Acl {
    uid: 0,
    gid: 0,
    mode: 0o644,
};

/// Why a stanza is not a package.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApkError {
    /// The stanza starting at `line` has no `P:`.
    #[error("the stanza at line {line} names no package (no P: line)")]
    NoName {
        /// Its first line (1-based).
        line: u64,
    },
}

/// Read the apk database at `rel` (normally `lib/apk/db/installed`) into
/// memory.
pub fn read(root: &Root, rel: &Path) -> Result<Database, Error> {
    source(open(root, rel)?).load(root)
}

/// The [`Source`] streaming `db`.
pub fn source(db: Apk) -> Source {
    Source::new(DbFormat::APK, db.path.clone(), ATTRIBUTES, Box::new(db))
}

/// An apk database opened for streaming: each pass reads `installed`
/// again, one stanza at a time.
pub struct Apk {
    path: PathBuf,
    rel: PathBuf,
    owners: Owners,
    protected: Protected,
}

impl std::fmt::Debug for Apk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Apk")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Open the `installed` file `rel` (see [`read`]): check it is a regular
/// file of a sane size, read the protected paths and the target's
/// accounts.
pub fn open(root: &Root, rel: &Path) -> Result<Apk, Error> {
    let abs = Path::new("/").join(rel);
    let db_err = |reason: DatabaseError| Error::Database {
        path: abs.clone(),
        reason,
    };
    let entry = root.lookup_follow(rel).map_err(|e| db_err(e.into()))?;
    if !entry.stat.is_regular() {
        return Err(db_err(DatabaseError::NotRegular));
    }
    if entry.stat.size > INSTALLED_LIMIT {
        return Err(db_err(DatabaseError::TooLarge {
            size: entry.stat.size,
            max: INSTALLED_LIMIT,
        }));
    }
    Ok(Apk {
        path: abs,
        rel: rel.to_path_buf(),
        owners: Owners::load(root),
        protected: Protected::load(root),
    })
}

impl Apk {
    /// The `installed` file's path inside the target.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One pass over every stanza, in file order.
    pub fn read(
        &self,
        root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> Result<PassOutcome, Error> {
        let db_err = |e: io::Error| Error::Database {
            path: self.path.clone(),
            reason: e.into(),
        };
        let entry = root.lookup_follow(&self.rel).map_err(db_err)?;
        let file = root.open_regular(&entry, &self.rel).map_err(db_err)?;
        let reader = io::BufReader::new(io::Read::take(file, INSTALLED_LIMIT));
        let mut out = PassOutcome::default();
        let mut bad: Vec<u64> = Vec::new();
        let mut batch = Vec::with_capacity(BATCH);
        let mut bytes = 0usize;
        for (i, stanza) in Stanzas::new(reader).enumerate() {
            let stanza = stanza.map_err(db_err)?;
            bad.extend_from_slice(&stanza.bad_lines);
            match self.package(root, i as u64, stanza) {
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
        if !bad.is_empty() {
            out.notes.push(crate::pkgdb::incomplete(
                Severity::Medium,
                About::path(self.path.as_path()).scope("apk"),
                DatabaseProblem::bad_lines(&bad),
            ));
        }
        Ok(out)
    }

    /// The package of `s`, record `record`.
    fn package(&self, root: &Root, record: u64, s: Stanza) -> Result<Package, ApkError> {
        let Some(name) = s.name else {
            return Err(ApkError::NoName { line: s.line });
        };
        let (version, release) = installed::split_version(s.version.as_deref().unwrap_or(""));
        let mut files = Vec::new();
        for d in s.dirs {
            let dir = crate::pkgdb::normalize_path(&[&d.path]);
            if dir != b"/" {
                let mut rec = bare_record(dir.clone(), S_IFDIR);
                self.apply_acl(&mut rec, d.acl.unwrap_or(DIR_ACL));
                files.push(rec);
            }
            for f in d.files {
                let mut path = dir.clone();
                if path != b"/" {
                    path.push(b'/');
                }
                path.extend_from_slice(&f.name);
                let acl = f.acl.unwrap_or(FILE_ACL);
                let mut rec = bare_record(path, S_IFREG);
                self.apply_acl(&mut rec, acl);
                if let Some((algo, digest)) = f.digest {
                    rec.digest_algo = algo;
                    rec.digest = digest;
                    rec.verify |= VerifyAttrs::DIGEST;
                }
                if acl.mode == 0o777 {
                    as_symlink(root, &mut rec);
                }
                if self
                    .protected
                    .is_config(rec.path_bytes(), rec.mode & 0o170000 == S_IFLNK)
                {
                    rec.flags |= FileFlags::CONFIG;
                }
                files.push(rec);
            }
        }
        Ok(Package {
            record,
            name,
            epoch: None,
            version,
            release,
            arch: s.arch,
            files,
            native: None,
            lacks_digests: false,
        })
    }

    /// Record `acl`'s permissions and (where the target names them) owner.
    fn apply_acl(&self, rec: &mut FileRecord, acl: Acl) {
        rec.mode |= acl.mode;
        // No target: a symlink found in its place is an `L` (as rpm
        // reports a file replaced by a symlink).
        rec.verify |= VerifyAttrs::MODE | VerifyAttrs::LINKTO;
        match self.owners.user(Some(acl.uid), None) {
            Some(u) => {
                rec.user = u;
                rec.verify |= VerifyAttrs::USER;
            }
            None => rec.user = "root".into(),
        }
        match self.owners.group(Some(acl.gid), None) {
            Some(g) => {
                rec.group = g;
                rec.verify |= VerifyAttrs::GROUP;
            }
            None => rec.group = "root".into(),
        }
    }
}

impl Backend for Apk {
    fn read(
        &self,
        root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> Result<PassOutcome, Error> {
        Apk::read(self, root, each)
    }
}

/// An `R:` entry of mode `0777` that is a symlink on disk becomes a
/// symlink record: its target when the recorded digest is the digest of
/// the link's target string (apk's digest of a symlink), else an empty
/// target, which the files check reports as changed. An entry without a
/// digest, or not a symlink on disk, stays a regular file.
fn as_symlink(root: &Root, rec: &mut FileRecord) {
    if rec.digest.is_empty() {
        return;
    }
    let Ok(entry) = root.lookup(&rec.path) else {
        return;
    };
    if !entry.stat.is_symlink() {
        return;
    }
    let Ok(target) = entry.read_link() else {
        return;
    };
    let same = digest_of(&target, rec.digest_algo).is_some_and(|d| d == rec.digest);
    rec.mode = S_IFLNK | 0o777;
    rec.verify -= VerifyAttrs::DIGEST | VerifyAttrs::MODE;
    rec.verify |= VerifyAttrs::LINKTO;
    rec.link_to = if same { target } else { Vec::new() };
}

/// The digest of `data` by `algo` (those apk writes).
fn digest_of(data: &[u8], algo: DigestAlgo) -> Option<Vec<u8>> {
    use sha2::Digest as _;
    Some(match algo {
        DigestAlgo::Md5 => md5::Md5::digest(data).to_vec(),
        DigestAlgo::Sha1 => sha1::Sha1::digest(data).to_vec(),
        DigestAlgo::Sha256 => sha2::Sha256::digest(data).to_vec(),
        _ => return None,
    })
}

/// apk's protected paths: the built-in ones and those of
/// `etc/apk/protected_paths.d/*.list`, each `+PATH` (protected), `-PATH`
/// (not), `@PATH` (only symlinks protected) or `!PATH` (changes
/// expected); the longest matching path decides.
#[derive(Debug)]
struct Protected(Vec<(Vec<u8>, u8)>);

impl Protected {
    fn load(root: &Root) -> Protected {
        let mut rules: Vec<(Vec<u8>, u8)> = vec![
            (b"etc".to_vec(), b'+'),
            (b"etc/init.d".to_vec(), b'@'),
            (b"etc/apk".to_vec(), b'!'),
        ];
        let dir = Path::new("etc/apk/protected_paths.d");
        for ent in root.read_dir(dir).unwrap_or_default() {
            if !ent.name.as_bytes().ends_with(b".list") || !ent.stat.is_regular() {
                continue;
            }
            let Ok(data) = root.read_small(&dir.join(&ent.name), LIST_LIMIT) else {
                continue;
            };
            for line in data.split(|&b| b == b'\n') {
                let line = line.trim_ascii();
                if let [kind @ (b'+' | b'-' | b'@' | b'!'), path @ ..] = line {
                    let path = path.trim_ascii();
                    let path = path.strip_prefix(b"/").unwrap_or(path);
                    let path = path.strip_suffix(b"/").unwrap_or(path);
                    if !path.is_empty() {
                        rules.retain(|(p, _)| p != path);
                        rules.push((path.to_vec(), *kind));
                    }
                }
            }
        }
        Protected(rules)
    }

    /// Whether the file at `path` (absolute) is configuration.
    fn is_config(&self, path: &[u8], symlink: bool) -> bool {
        let rel = path.strip_prefix(b"/").unwrap_or(path);
        let best = self
            .0
            .iter()
            .filter(|(p, _)| rel.starts_with(p) && (rel.len() == p.len() || rel[p.len()] == b'/'))
            .max_by_key(|(p, _)| p.len());
        match best.map(|(_, k)| *k) {
            Some(b'+' | b'!') => true,
            Some(b'@') => symlink,
            _ => false,
        }
    }
}

/// A record of `path` of type `ftype` checking nothing yet.
fn bare_record(path: Vec<u8>, ftype: u32) -> FileRecord {
    FileRecord {
        path: PathBuf::from(OsString::from_vec(path)),
        size: 0,
        mode: ftype,
        rdev: 0,
        mtime: 0,
        digest_algo: DigestAlgo::Sha1,
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

#[cfg(test)]
mod tests;
