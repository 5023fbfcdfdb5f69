//! Package databases: where the target says what it installed.
//!
//! Every supported format gives the same shape: [`Package`]s, each with the
//! [`FileRecord`]s it registered, streamed a batch at a time by a [`Source`]
//! (what [`open`] returns; a scan reads it twice and never holds it whole),
//! or collected into a [`Database`] by [`Source::load`]. Checks never see a
//! format; a new database format is a new submodule here plus one arm in
//! [`DbFormat`], [`Source`]'s records and [`open`].
//!
//! Formats: [`rpm::sqlite`] (`rpmdb.sqlite`: Fedora ≥ 33, RHEL ≥ 9,
//! openSUSE, Amazon Linux 2023), [`rpm::bdb`] (BerkeleyDB `Packages`:
//! RHEL/CentOS 7–8, SLES 12), [`rpm::ndb`] (`Packages.db`: SLES 15), and
//! [`dpkg`] (Debian, Ubuntu). Auto-detection order is [`CANDIDATES`].

pub mod dpkg;
pub mod rpm;

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
pub use crate::model::{DigestAlgo, FileFlags, FileRecord, FileState};
use crate::rootfs::Root;

/// Which on-disk database format a [`Database`] was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DbFormat {
    /// RPM's SQLite backend (`rpmdb.sqlite`).
    RpmSqlite,
    /// RPM's BerkeleyDB hash backend (`Packages`).
    RpmBdb,
    /// RPM's NDB backend (`Packages.db`).
    RpmNdb,
    /// dpkg's `status` and `info/` files.
    Dpkg,
}

impl DbFormat {
    /// Kebab-case name, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            DbFormat::RpmSqlite => "rpm-sqlite",
            DbFormat::RpmBdb => "rpm-bdb",
            DbFormat::RpmNdb => "rpm-ndb",
            DbFormat::Dpkg => "dpkg",
        }
    }

    /// Parse a `--db` name.
    pub fn parse(s: &str) -> Option<DbFormat> {
        [
            DbFormat::RpmSqlite,
            DbFormat::RpmBdb,
            DbFormat::RpmNdb,
            DbFormat::Dpkg,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }

    /// The file name this format keeps in its database directory.
    pub fn file_name(self) -> &'static str {
        match self {
            DbFormat::RpmSqlite => "rpmdb.sqlite",
            DbFormat::RpmBdb => "Packages",
            DbFormat::RpmNdb => "Packages.db",
            DbFormat::Dpkg => "status",
        }
    }
}

/// Where auto-detection looks, in order, relative to ROOT. The first that
/// exists is used; any others found are reported in
/// [`Database::also_found`].
pub const CANDIDATES: &[(DbFormat, &str)] = &[
    (DbFormat::RpmSqlite, "usr/lib/sysimage/rpm/rpmdb.sqlite"),
    (DbFormat::RpmSqlite, "var/lib/rpm/rpmdb.sqlite"),
    (DbFormat::RpmNdb, "usr/lib/sysimage/rpm/Packages.db"),
    (DbFormat::RpmNdb, "var/lib/rpm/Packages.db"),
    (DbFormat::RpmBdb, "usr/lib/sysimage/rpm/Packages"),
    (DbFormat::RpmBdb, "var/lib/rpm/Packages"),
    (DbFormat::Dpkg, "var/lib/dpkg/status"),
    // Distroless images: one stanza file per package, no `status`.
    (DbFormat::Dpkg, "var/lib/dpkg/status.d"),
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
    /// Which file attributes this format records (dpkg: digests only), so
    /// reports can say what could not be verified.
    pub attributes: crate::model::VerifyAttrs,
    /// Other package databases that exist in the target but were not used.
    pub also_found: Vec<(DbFormat, PathBuf)>,
    /// Findings about the database itself made while reading it, for
    /// problems that are not a whole [`MalformedRecord`] (dpkg: an
    /// unparseable status stanza, an unreadable file list, a garbled
    /// `md5sums` line). The scan reports them as they are.
    pub notes: Vec<crate::model::Finding>,
}

/// Packages a reader hands over at a time ([`Source::read`]) at most:
/// enough to keep every worker busy.
pub const BATCH: usize = 64;

/// Stored bytes after which a reader hands over a batch even when it holds
/// fewer than [`BATCH`] packages: a MiB of rpm headers is about 6,000 file
/// records, so a batch of big packages stays a few MiB in memory.
pub const BATCH_BYTES: usize = 1 << 20;

/// A package database opened for reading, not yet read: its description
/// and the means to stream its records, as often as a scan needs them.
///
/// A scan never holds the whole database: it reads it twice, once to learn
/// which paths are registered (and everything else that needs all packages
/// at once, in a compact form) and once to verify each batch of packages
/// and let it go. [`Source::load`] reads everything into a [`Database`]
/// instead, for tools and tests that want it in memory.
#[derive(Debug)]
pub struct Source {
    /// Its format.
    pub format: DbFormat,
    /// Its path inside the target (absolute, not prefixed with ROOT).
    pub path: PathBuf,
    /// True when a WAL is read through a private copy.
    pub read_wal: bool,
    /// Which file attributes this format records.
    pub attributes: crate::model::VerifyAttrs,
    /// Other package databases that exist in the target but are not used.
    pub also_found: Vec<(DbFormat, PathBuf)>,
    records: Records,
}

/// Where a [`Source`]'s records come from.
#[derive(Debug)]
enum Records {
    /// An rpm sqlite database, queried again on every pass.
    Sqlite(rpm::sqlite::Reader),
    /// A BerkeleyDB or NDB file, extracted again on every pass.
    Stored(rpm::storage::Stored),
    /// A different set of packages on each pass, for tests of a database
    /// that changes while it is read.
    #[cfg(test)]
    Scripted(std::sync::Mutex<std::collections::VecDeque<Vec<Package>>>),
    /// A dpkg database, whose packages' files are read again on every
    /// pass.
    Dpkg(dpkg::Dpkg),
}

/// What one pass over a [`Source`] found besides packages: records that
/// could not be parsed and damage to the database itself (the same on
/// every pass of an unchanged database).
#[derive(Debug, Default)]
pub struct PassOutcome {
    /// Records that could not be parsed.
    pub malformed: Vec<MalformedRecord>,
    /// Findings about the database itself (see [`Database::notes`]).
    pub notes: Vec<crate::model::Finding>,
}

impl Source {
    /// A database whose `n`th pass gives `passes[n]` (tests).
    #[cfg(test)]
    pub(crate) fn scripted(passes: Vec<Vec<Package>>) -> Source {
        Source {
            format: DbFormat::RpmSqlite,
            path: PathBuf::from("/var/lib/rpm/rpmdb.sqlite"),
            read_wal: false,
            attributes: crate::model::VerifyAttrs::all(),
            also_found: Vec::new(),
            records: Records::Scripted(std::sync::Mutex::new(passes.into())),
        }
    }

    pub(crate) fn sqlite(reader: rpm::sqlite::Reader) -> Source {
        Source {
            format: DbFormat::RpmSqlite,
            path: reader.path().to_path_buf(),
            read_wal: reader.read_wal(),
            attributes: crate::model::VerifyAttrs::all(),
            also_found: Vec::new(),
            records: Records::Sqlite(reader),
        }
    }

    pub(crate) fn stored(stored: rpm::storage::Stored) -> Source {
        Source {
            format: stored.format(),
            path: stored.path().to_path_buf(),
            read_wal: false,
            attributes: crate::model::VerifyAttrs::all(),
            also_found: Vec::new(),
            records: Records::Stored(stored),
        }
    }

    pub(crate) fn dpkg(db: dpkg::Dpkg) -> Source {
        Source {
            format: DbFormat::Dpkg,
            path: db.path().to_path_buf(),
            read_wal: false,
            attributes: crate::model::VerifyAttrs::DIGEST | crate::model::VerifyAttrs::LINKTO,
            also_found: Vec::new(),
            records: Records::Dpkg(db),
        }
    }

    /// Read every record once, in database order, showing the packages to
    /// `each` a batch (at most [`BATCH`]) at a time; `gpg-pubkey` entries
    /// included. A batch is dropped when `each` returns. rpm headers are
    /// parsed on the current rayon pool; dpkg's file lists are read from
    /// `root` (the target this source was opened in).
    pub fn read(
        &self,
        root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> Result<PassOutcome, Error> {
        match &self.records {
            Records::Sqlite(r) => r.read(each),
            Records::Stored(s) => s.read(each),
            Records::Dpkg(d) => Ok(d.read(root, each)),
            #[cfg(test)]
            Records::Scripted(passes) => {
                let pass = passes.lock().unwrap().pop_front().unwrap_or_default();
                pass.chunks(BATCH).for_each(each);
                Ok(PassOutcome::default())
            }
        }
    }

    /// Read every record into memory.
    pub fn load(self, root: &Root) -> Result<Database, Error> {
        let mut packages = Vec::new();
        let outcome = self.read(root, &mut |b| packages.extend_from_slice(b))?;
        Ok(Database {
            format: self.format,
            path: self.path,
            packages,
            malformed: outcome.malformed,
            read_wal: self.read_wal,
            attributes: self.attributes,
            also_found: self.also_found,
            notes: outcome.notes,
        })
    }
}

/// A database record whose package data could not be parsed.
#[derive(Clone, Debug)]
pub struct MalformedRecord {
    /// The record's key in the database (rpm: header instance number).
    pub record: u64,
    /// Why it could not be parsed.
    pub error: rpm::header::HeaderError,
    /// The header, when it parsed but the package in it did not (its
    /// signatures are still checked).
    pub header: Option<rpm::header::Header>,
}

/// One installed package.
#[derive(Clone, Debug)]
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
    /// The database records no content digests for this package's files
    /// (dpkg package without `md5sums`): only existence can be checked.
    pub lacks_digests: bool,
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
        // rpm always has a release; a native Debian package has none.
        if !self.release.is_empty() {
            s.push('-');
            s.push_str(&self.release);
        }
        if let Some(a) = &self.arch {
            s.push('.');
            s.push_str(a);
        }
        s
    }

    /// The package as findings name it.
    pub fn reference(&self) -> crate::model::PackageRef {
        crate::model::PackageRef {
            record: self.record,
            name: self.name.clone(),
            epoch: self.epoch,
            version: self.version.clone(),
            release: self.release.clone(),
            arch: self.arch.clone(),
        }
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

/// Find the database in `root`, or use `dbpath` (inside ROOT: the database
/// file or its directory) and/or `format` when given, and open it for
/// streaming ([`Source::read`]).
pub fn open(root: &Root, dbpath: Option<&Path>, format: Option<DbFormat>) -> Result<Source, Error> {
    let candidates: Vec<(DbFormat, PathBuf)> = match dbpath {
        Some(p) => {
            let rel = p.strip_prefix("/").unwrap_or(p).to_path_buf();
            let is_dir = root
                .lookup_follow(&rel)
                .map(|e| e.stat.is_dir())
                .unwrap_or(false);
            if is_dir {
                let formats = match format {
                    Some(f) => vec![f],
                    None => vec![
                        DbFormat::RpmSqlite,
                        DbFormat::RpmNdb,
                        DbFormat::RpmBdb,
                        DbFormat::Dpkg,
                    ],
                };
                formats
                    .into_iter()
                    .map(|f| (f, rel.join(f.file_name())))
                    .collect()
            } else {
                let f = format.unwrap_or_else(|| guess_format(&rel));
                vec![(f, rel)]
            }
        }
        None => CANDIDATES
            .iter()
            .filter(|(f, _)| format.is_none_or(|want| want == *f))
            .map(|(f, p)| (*f, PathBuf::from(p)))
            .collect(),
    };
    let mut found = Vec::new();
    for (format, rel) in &candidates {
        match root.lstat(rel) {
            Ok(_) => found.push((*format, rel.clone())),
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
    let Some((format, rel)) = found.first().cloned() else {
        return Err(Error::NoDatabase {
            root: root.path().to_path_buf(),
            looked: candidates
                .iter()
                .map(|(_, p)| format!("/{}", p.display()))
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let mut db = match format {
        DbFormat::RpmSqlite => Source::sqlite(rpm::sqlite::Reader::open(root, &rel)?),
        DbFormat::RpmBdb => Source::stored(rpm::bdb::open(root, &rel)?),
        DbFormat::RpmNdb => Source::stored(rpm::ndb::open(root, &rel)?),
        DbFormat::Dpkg => Source::dpkg(dpkg::open(root, &rel)?),
    };
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
        let same_dpkg = f == DbFormat::Dpkg && format == DbFormat::Dpkg;
        if !same && !same_dpkg {
            db.also_found.push((f, Path::new("/").join(p)));
        }
    }
    Ok(db)
}

fn guess_format(rel: &Path) -> DbFormat {
    match rel.file_name().and_then(|n| n.to_str()) {
        Some("Packages") => DbFormat::RpmBdb,
        Some("Packages.db") => DbFormat::RpmNdb,
        Some("status") => DbFormat::Dpkg,
        _ => DbFormat::RpmSqlite,
    }
}

#[cfg(test)]
mod ownership_tests {
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
