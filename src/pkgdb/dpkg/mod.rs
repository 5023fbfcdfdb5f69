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
//!   ([`FileFlags::CONFIG`]).
//! * `diversions` ([`diversions`]): another package's file diverted away
//!   from its path is verified where it was diverted to.
//! * `alternatives/*` ([`alternatives`]): the update-alternatives symlinks,
//!   registered to the package providing the selected choice.
//! * `etc/dpkg/dpkg.cfg.d/*`, `etc/dpkg/dpkg.cfg` ([`filters`]): files
//!   excluded by `path-exclude` may be missing.
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
pub mod status;

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use self::diversions::Diversions;
use self::filters::PathFilters;
use self::status::{ConffileDigest, PackageState, StatusEntry};
use crate::error::{DatabaseError, Error};
use crate::model::evidence::{DatabaseProblem, HeaderEvidence};
use crate::model::{
    About, Evidence, Finding, FindingKind, Incomplete, Problem, Severity, Stage, VerifyAttrs,
};
use crate::pkgdb::{
    Database, DigestAlgo, FileFlags, FileRecord, FileState, Package, PathKeyer, PrehashedState,
};
use crate::rootfs::{Root, S_IFLNK};

/// Largest status file read (a big desktop's is a few MiB).
const STATUS_LIMIT: u64 = 1 << 30;
/// Largest `.list`, `.md5sums`, diversions or `status.d` file read.
const INFO_LIMIT: u64 = 256 << 20;
/// Largest alternatives file read.
const ALTERNATIVES_LIMIT: u64 = 16 << 20;

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
    /// Per package (index into `stanzas`): raw-path keys of its `md5sums`
    /// or `Conffiles:` records that another package's list took over.
    taken_over: HashMap<usize, HashSet<u128>>,
    /// Per package: the update-alternatives links it provides.
    alternatives: HashMap<usize, Vec<FileRecord>>,
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
    let mut r = Reader {
        root,
        admindir,
        notes: Vec::new(),
        malformed: 0,
    };
    let mut stanzas = Vec::new();
    if entry.stat.is_dir() {
        r.read_status_d(rel, &mut stanzas)
            .map_err(|e| db_err(e.into()))?;
    } else if entry.stat.is_regular() {
        let data = root
            .read_small(rel, STATUS_LIMIT)
            .map_err(|e| db_err(e.into()))?;
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
    if r.malformed > 0 && stanzas.is_empty() {
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
    // Alternatives first (their notes still come after the packages'):
    // they name the few paths whose owner must be remembered.
    let mark = r.notes.len();
    let plans = r.plan_alternatives(&keyer);
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
        let (b, list) = r.build_package(s, &diversions, &filters, &keyer);
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

    if !half_installed.is_empty() {
        r.notes.push(incomplete(
            Severity::Low,
            About::nothing().scope("dpkg-half-installed"),
            DatabaseProblem::HalfInstalled {
                count: half_installed.len() as u64,
                packages: half_installed,
            },
        ));
    }
    if config_files > 0 {
        r.notes.push(incomplete(
            Severity::Info,
            About::nothing().scope("dpkg-config-files"),
            DatabaseProblem::ConfigFiles {
                count: config_files,
            },
        ));
    }
    Ok(Dpkg {
        path: abs,
        admindir: r.admindir,
        stanzas,
        diversions,
        filters,
        keyer,
        taken_over,
        alternatives,
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
        let mut r = Reader {
            root,
            admindir: self.admindir.clone(),
            // Made again on every pass; those of `open` are reported.
            notes: Vec::new(),
            malformed: 0,
        };
        let mut batch = Vec::with_capacity(crate::pkgdb::BATCH);
        for (i, s) in self.stanzas.iter().enumerate() {
            let (b, _) = r.build_package(s, &self.diversions, &self.filters, &self.keyer);
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
            batch.push(package);
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

/// A stanza and where it came from.
struct Stanza {
    entry: StatusEntry,
    /// The `status.d` file it was read from (`None`: the status file).
    status_d_file: Option<PathBuf>,
}

/// A package with what is needed to settle ownership between packages.
struct Built {
    package: Package,
    /// Records that came from `md5sums` or `Conffiles:` but are not in the
    /// package's own `.list`: their index in `package.files` and the key
    /// of their raw (undiverted) path.
    unlisted: Vec<(usize, u128)>,
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

struct Reader<'a> {
    root: &'a Root,
    admindir: PathBuf,
    notes: Vec<Finding>,
    malformed: u64,
}

impl Reader<'_> {
    fn add_stanzas(&mut self, data: &[u8], source: Option<&Path>, out: &mut Vec<Stanza>) {
        let first = out.len() as u64 + self.malformed;
        for res in status::parse(data, first) {
            match res {
                Ok(entry) => out.push(Stanza {
                    entry,
                    status_d_file: source.map(Path::to_path_buf),
                }),
                Err((record, error)) => {
                    self.malformed += 1;
                    let file = source
                        .map(|p| Path::new("/").join(p))
                        .unwrap_or_else(|| Path::new("/").join(&self.admindir).join("status"));
                    self.notes.push(Finding::new(
                        FindingKind::HeaderMalformed,
                        Severity::High,
                        About::path(file).scope(format!("record-{record}")),
                        Evidence::Header(HeaderEvidence::StanzaUnparseable {
                            record,
                            error: error.to_string(),
                        }),
                    ));
                }
            }
        }
    }

    /// Read every stanza file of a distroless `status.d` directory.
    fn read_status_d(&mut self, dir: &Path, out: &mut Vec<Stanza>) -> io::Result<()> {
        for ent in self.root.read_dir(dir)? {
            let name = ent.name.as_bytes();
            if name.ends_with(b".md5sums") || name.ends_with(b".list") {
                continue;
            }
            let path = dir.join(&ent.name);
            if !ent.stat.is_regular() {
                self.note(&path, Severity::Low, DatabaseProblem::NotRegular);
                continue;
            }
            match self.root.read_small(&path, INFO_LIMIT) {
                Ok(data) => self.add_stanzas(&data, Some(&path), out),
                Err(e) => self.note_unreadable(&path, &e),
            }
        }
        Ok(())
    }

    fn read_diversions(&mut self) -> Diversions {
        let path = self.admindir.join("diversions");
        let Some(data) = self.read_optional(&path) else {
            return Diversions::default();
        };
        let d = Diversions::parse(&data);
        if d.bad_lines > 0 {
            self.note(
                &path,
                Severity::Medium,
                DatabaseProblem::BadDiversions { count: d.bad_lines },
            );
        }
        d
    }

    /// The target's dpkg path filters: `etc/dpkg/dpkg.cfg.d/*` in name
    /// order (names of letters, digits, `_` and `-` only, as dpkg reads
    /// them), then `etc/dpkg/dpkg.cfg`.
    fn read_filters(&mut self) -> PathFilters {
        let mut f = PathFilters::default();
        let dir = Path::new("etc/dpkg/dpkg.cfg.d");
        let entries = match self.root.read_dir(dir) {
            Ok(v) => v,
            Err(e) if is_absent(&e) => Vec::new(),
            Err(e) => {
                self.note_unreadable(dir, &e);
                Vec::new()
            }
        };
        for ent in entries {
            let name = ent.name.as_bytes();
            if !name
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                continue;
            }
            if let Some(data) = self.read_optional(&dir.join(&ent.name)) {
                f.parse_config(&data);
            }
        }
        if let Some(data) = self.read_optional(Path::new("etc/dpkg/dpkg.cfg")) {
            f.parse_config(&data);
        }
        f
    }

    /// Read a database file that may legitimately be absent. Absent:
    /// `None`. Unreadable: a note, then `None`.
    fn read_optional(&mut self, rel: &Path) -> Option<Vec<u8>> {
        match self.root.read_small(rel, INFO_LIMIT) {
            Ok(d) => Some(d),
            Err(e) if is_absent(&e) => None,
            Err(e) => {
                self.note_unreadable(rel, &e);
                None
            }
        }
    }

    /// The first of `names` that exists, read.
    fn read_first(&mut self, dir: &Path, names: &[String], ext: &str) -> Option<(String, Vec<u8>)> {
        for n in names {
            let path = dir.join(format!("{n}.{ext}"));
            if let Some(d) = self.read_optional(&path) {
                return Some((n.clone(), d));
            }
        }
        None
    }

    fn build_package(
        &mut self,
        s: &Stanza,
        diversions: &Diversions,
        filters: &PathFilters,
        keyer: &PathKeyer,
    ) -> (Built, Vec<u128>) {
        let e = &s.entry;
        let info = self.admindir.join("info");
        let names = info_names(e);

        // The file list: info/NAME[:ARCH].list (distroless images have none).
        let list_file = self.read_first(&info, &names, "list");
        let list = list_file.as_ref().map(|(n, data)| {
            let l = info::parse_list(data);
            if !l.bad_lines.is_empty() {
                self.note_bad_lines(&info.join(format!("{n}.list")), &l.bad_lines, e);
            }
            l.paths
        });
        if list.is_none() && s.status_d_file.is_none() {
            let list = Path::new("/")
                .join(&info)
                .join(format!("{}.list", names[0]));
            self.notes.push(incomplete(
                Severity::Medium,
                About::path(list).scope(package_key(e)),
                DatabaseProblem::NoFileList {
                    package: e.name.clone(),
                },
            ));
        }

        // Digests: status.d/FILE.md5sums for a distroless stanza, else the
        // md5sums beside the list, else any candidate name.
        let mut sums_file: Option<(PathBuf, Vec<u8>)> = None;
        if let Some(src) = &s.status_d_file {
            let mut p = src.as_os_str().to_owned();
            p.push(".md5sums");
            let p = PathBuf::from(p);
            if let Some(d) = self.read_optional(&p) {
                sums_file = Some((p, d));
            }
        }
        if sums_file.is_none() {
            let order: Vec<String> = match &list_file {
                Some((n, _)) => vec![n.clone()],
                None => names.clone(),
            };
            if let Some((n, d)) = self.read_first(&info, &order, "md5sums") {
                sums_file = Some((info.join(format!("{n}.md5sums")), d));
            }
        }
        let mut md5: HashMap<Vec<u8>, [u8; 16]> = HashMap::new();
        let mut md5_order: Vec<Vec<u8>> = Vec::new();
        if let Some((path, data)) = &sums_file {
            let sums = info::parse_md5sums(data);
            if !sums.bad_lines.is_empty() {
                self.note_bad_lines(path, &sums.bad_lines, e);
            }
            for (p, d) in sums.entries {
                if let std::collections::hash_map::Entry::Vacant(v) = md5.entry(p) {
                    md5_order.push(v.key().clone());
                    v.insert(d);
                }
            }
        }

        if !e.bad_conffiles.is_empty() {
            self.notes.push(incomplete(
                Severity::Medium,
                About::nothing().scope(package_key(e)),
                DatabaseProblem::ConffilesUnparseable {
                    package: e.name.clone(),
                    count: e.bad_conffiles.len() as u64,
                },
            ));
        }
        let conffiles: HashMap<&[u8], &status::Conffile> =
            e.conffiles.iter().map(|c| (c.path.as_slice(), c)).collect();

        let mut files = Vec::new();
        let mut unlisted = Vec::new();
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        let mut not_yet = 0u64;
        let mut push = |raw: &[u8], files: &mut Vec<FileRecord>| {
            if !seen.insert(raw.to_vec()) {
                return false;
            }
            let real = diversions.apply(raw, &e.name);
            let rec = match conffiles.get(raw) {
                Some(c) => match (&c.digest, c.remove_on_upgrade) {
                    // dpkg removes these on the next upgrade: they may
                    // already be gone, or never have been installed
                    // (`newconffile`).
                    (_, true) => record(real, None, FileFlags::CONFIG | FileFlags::MISSINGOK),
                    (ConffileDigest::Md5(d), false) => record(real, Some(d), FileFlags::CONFIG),
                    (ConffileDigest::NotYetInstalled, false) => {
                        not_yet += 1;
                        record(real, None, FileFlags::CONFIG | FileFlags::MISSINGOK)
                    }
                    (ConffileDigest::Invalid, false) => record(real, None, FileFlags::CONFIG),
                },
                None => record(real, md5.get(raw), FileFlags::empty()),
            };
            let mut rec = rec;
            if filters.excludes(real) {
                // dpkg never unpacked it (path-exclude): may be missing.
                rec.flags |= FileFlags::MISSINGOK;
            }
            files.push(rec);
            true
        };
        if let Some(list) = &list {
            for p in list {
                push(p, &mut files);
            }
        }
        for p in md5_order
            .iter()
            .map(Vec::as_slice)
            .chain(e.conffiles.iter().map(|c| c.path.as_slice()))
        {
            if push(p, &mut files) && list.is_some() {
                unlisted.push((files.len() - 1, keyer.key_bytes(p)));
            }
        }
        if not_yet > 0 {
            self.notes.push(incomplete(
                Severity::Low,
                About::nothing().scope(package_key(e)),
                DatabaseProblem::NotConfigured {
                    package: e.name.clone(),
                    count: not_yet,
                },
            ));
        }

        // Without a list (already a note) only a distroless stanza, whose
        // md5sums is its only file record, is said to lack digests. An
        // md5sums that exists but is empty belongs to a package without
        // regular files (its list holds directories and symlinks only).
        let lacks_digests = sums_file.is_none()
            && match &list {
                Some(l) => has_plain_leaf(l, &e.conffiles),
                None => s.status_d_file.is_some(),
            };
        let version = e.version.clone().unwrap_or(status::DebVersion {
            epoch: None,
            upstream: String::new(),
            revision: String::new(),
        });
        let list_keys = list.iter().flatten().map(|p| keyer.key_bytes(p)).collect();
        let built = Built {
            package: Package {
                record: e.record,
                name: e.name.clone(),
                epoch: version.epoch,
                version: version.upstream,
                release: version.revision,
                arch: e.arch.clone(),
                files,
                header: None,
                lacks_digests,
            },
            unlisted,
        };
        (built, list_keys)
    }

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

    /// A note about the database file or directory at `rel`.
    fn note(&mut self, rel: &Path, severity: Severity, problem: DatabaseProblem) {
        let abs = Path::new("/").join(rel);
        self.notes.push(incomplete(
            severity,
            About::path(abs).scope("dpkg"),
            problem,
        ));
    }

    fn note_unreadable(&mut self, rel: &Path, e: &io::Error) {
        self.note(
            rel,
            Severity::Medium,
            DatabaseProblem::Unreadable { error: e.into() },
        );
    }

    fn note_bad_lines(&mut self, rel: &Path, lines: &[u64], e: &StatusEntry) {
        let abs = Path::new("/").join(rel);
        self.notes.push(incomplete(
            Severity::Medium,
            About::path(abs).scope(package_key(e)),
            DatabaseProblem::BadLines {
                count: lines.len() as u64,
                lines: lines.iter().take(10).copied().collect(),
            },
        ));
    }
}

/// A `check-incomplete` about the database.
fn incomplete(severity: Severity, about: About, problem: DatabaseProblem) -> Finding {
    Finding::new(
        FindingKind::CheckIncomplete,
        severity,
        about,
        Evidence::Incomplete(Incomplete {
            check: Stage::Database,
            problem: Problem::Database(problem),
        }),
    )
}

/// Candidate info file base names, most likely first: `NAME:ARCH` for
/// `Multi-Arch: same` packages, else `NAME` (dpkg before 1.16.2 used
/// `NAME` for all).
fn info_names(e: &StatusEntry) -> Vec<String> {
    match &e.arch {
        Some(a) if e.multi_arch_same => vec![format!("{}:{a}", e.name), e.name.clone()],
        Some(a) => vec![e.name.clone(), format!("{}:{a}", e.name)],
        None => vec![e.name.clone()],
    }
}

/// `name.arch`, the identity of a package across versions.
fn package_key(e: &StatusEntry) -> String {
    match &e.arch {
        Some(a) => format!("{}.{a}", e.name),
        None => e.name.clone(),
    }
}

/// True when the list has a path that is neither a conffile nor the parent
/// directory of another listed path: a file, symlink or empty directory,
/// which an `md5sums` would normally cover. (dpkg does not record types,
/// so a package whose only leaves are symlinks counts too.)
fn has_plain_leaf(list: &[Vec<u8>], conffiles: &[status::Conffile]) -> bool {
    let mut parents: HashSet<&[u8]> = HashSet::new();
    for p in list {
        if let Some(cut) = p.iter().rposition(|&b| b == b'/') {
            parents.insert(&p[..cut]);
        }
    }
    list.iter()
        .any(|p| !parents.contains(p.as_slice()) && !conffiles.iter().any(|c| c.path == *p))
}

fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// A record for a path dpkg registered: digest-checked when a digest is
/// known, else existence only. The type is unknown (`mode` 0).
fn record(path: &[u8], md5: Option<&[u8; 16]>, flags: FileFlags) -> FileRecord {
    FileRecord {
        path: PathBuf::from(OsStr::from_bytes(path)),
        size: 0,
        mode: 0,
        rdev: 0,
        mtime: 0,
        digest_algo: DigestAlgo::Md5,
        digest: md5.map(|d| d.to_vec()).unwrap_or_default(),
        link_to: Vec::new(),
        flags,
        verify: if md5.is_some() {
            VerifyAttrs::DIGEST
        } else {
            VerifyAttrs::empty()
        },
        user: String::new(),
        group: String::new(),
        caps: String::new(),
        state: FileState::Normal,
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

#[cfg(test)]
mod tests;
