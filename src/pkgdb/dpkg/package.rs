//! dpkg packages (package database stage): one status stanza and its info
//! files made into one [`Package`] and its [`FileRecord`]s.
//!
//! [`Reader::build_package`] reads the package's `.list`, its `md5sums`
//! and its `Conffiles:` field, applies the diversions and the path filters,
//! and makes one record per path (digest-checked when an MD5 is known, else
//! existence only). The result, [`Built`], also says which records are not
//! in the package's own list, for [`super::ownership`] to settle.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::diversions::Diversions;
use super::filters::PathFilters;
use super::reader::{Reader, Stanza};
use super::status::{self, ConffileDigest, StatusEntry};
use super::{info, notes};
use crate::model::VerifyAttrs;
use crate::pkgdb::{DigestAlgo, FileFlags, FileRecord, FileState, Package, PathKeyer};

/// A package with what is needed to settle ownership between packages.
pub(super) struct Built {
    pub(super) package: Package,
    /// Records that came from `md5sums` or `Conffiles:` but are not in the
    /// package's own `.list`: their index in `package.files` and the key
    /// of their raw (undiverted) path.
    pub(super) unlisted: Vec<(usize, u128)>,
}

impl Reader<'_> {
    /// Make the package of stanza `s` into records; also the keys of the
    /// paths its `.list` names (none without a list).
    pub(super) fn build_package(
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
            let mut l = info::parse_list(data);
            if !l.bad_lines.is_empty() {
                self.note_bad_lines(&info.join(format!("{n}.list")), &l.bad_lines, e);
            }
            if l.paths.len() > crate::pkgdb::MAX_FILES_PER_PACKAGE {
                let list = Path::new("/").join(&info).join(format!("{n}.list"));
                self.notes
                    .push(notes::too_many_files(list, e, l.paths.len() as u64));
                l.paths.truncate(crate::pkgdb::MAX_FILES_PER_PACKAGE);
                l.paths.shrink_to_fit();
            }
            l.paths
        });
        if list.is_none() && s.status_d_file.is_none() {
            let list = Path::new("/")
                .join(&info)
                .join(format!("{}.list", names[0]));
            self.notes.push(notes::no_file_list(list, e));
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
            let cap = crate::pkgdb::MAX_FILES_PER_PACKAGE;
            if sums.entries.len() > cap {
                let at = Path::new("/").join(path);
                self.notes
                    .push(notes::too_many_files(at, e, sums.entries.len() as u64));
            }
            for (p, d) in sums.entries.into_iter().take(cap) {
                if let std::collections::hash_map::Entry::Vacant(v) = md5.entry(p) {
                    md5_order.push(v.key().clone());
                    v.insert(d);
                }
            }
        }

        if !e.bad_conffiles.is_empty() {
            self.notes.push(notes::conffiles_unparseable(e));
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
            self.notes.push(notes::not_configured(e, not_yet));
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
                native: None,
                lacks_digests,
            },
            unlisted,
        };
        (built, list_keys)
    }
}

/// Candidate info file base names, most likely first: `NAME:ARCH` for
/// `Multi-Arch: same` packages, else `NAME` (dpkg before 1.16.2 used
/// `NAME` for all).
pub(super) fn info_names(e: &StatusEntry) -> Vec<String> {
    match &e.arch {
        Some(a) if e.multi_arch_same => vec![format!("{}:{a}", e.name), e.name.clone()],
        Some(a) => vec![e.name.clone(), format!("{}:{a}", e.name)],
        None => vec![e.name.clone()],
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
