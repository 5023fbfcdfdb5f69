//! dpkg admin-directory reader (package database stage): reads the files
//! of `var/lib/dpkg` and `etc/dpkg` through the confined [`Root`], noting
//! (never failing on) what cannot be read.
//!
//! Main type: [`Reader`], which [`super::open`] and each pass of
//! [`super::Dpkg::read`] make afresh. It parses `status` and `status.d/*`
//! into [`Stanza`]s, reads `diversions` and the path filters, and reads a
//! package's info files for [`super::package`]; its findings are built in
//! [`super::notes`].

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::diversions::Diversions;
use super::filters::PathFilters;
use super::notes;
use super::status::{self, StatusEntry};
use crate::model::evidence::DatabaseProblem;
use crate::model::{Finding, Severity};
use crate::rootfs::Root;

/// Largest `.list`, `.md5sums`, diversions or `status.d` file read (the
/// largest real lists are a few MiB); a bigger one is a finding.
const INFO_LIMIT: u64 = 64 << 20;

/// A stanza and where it came from.
pub(super) struct Stanza {
    pub(super) entry: StatusEntry,
    /// The `status.d` file it was read from (`None`: the status file).
    pub(super) status_d_file: Option<PathBuf>,
}

/// Reads the database's files, collecting notes about them.
pub(super) struct Reader<'a> {
    pub(super) root: &'a Root,
    /// The admin directory (`var/lib/dpkg`), relative to the root.
    pub(super) admindir: PathBuf,
    /// Findings about the database, in the order they were made.
    pub(super) notes: Vec<Finding>,
    /// Stanzas that did not parse.
    pub(super) malformed: u64,
}

impl<'a> Reader<'a> {
    /// A reader of the admin directory `admindir`, with no notes yet.
    pub(super) fn new(root: &'a Root, admindir: PathBuf) -> Reader<'a> {
        Reader {
            root,
            admindir,
            notes: Vec::new(),
            malformed: 0,
        }
    }

    /// Parse the stanzas of a status file (`source`: the `status.d` file,
    /// `None` for `status`) onto `out`.
    pub(super) fn add_stanzas(
        &mut self,
        data: &[u8],
        source: Option<&Path>,
        out: &mut Vec<Stanza>,
    ) {
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
                    self.notes
                        .push(notes::stanza_unparseable(file, record, &error));
                }
            }
        }
    }

    /// Read every stanza file of a distroless `status.d` directory.
    pub(super) fn read_status_d(&mut self, dir: &Path, out: &mut Vec<Stanza>) -> io::Result<()> {
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

    /// The `diversions` file (none when absent).
    pub(super) fn read_diversions(&mut self) -> Diversions {
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
    pub(super) fn read_filters(&mut self) -> PathFilters {
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
    pub(super) fn read_optional(&mut self, rel: &Path) -> Option<Vec<u8>> {
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
    pub(super) fn read_first(
        &mut self,
        dir: &Path,
        names: &[String],
        ext: &str,
    ) -> Option<(String, Vec<u8>)> {
        for n in names {
            let path = dir.join(format!("{n}.{ext}"));
            if let Some(d) = self.read_optional(&path) {
                return Some((n.clone(), d));
            }
        }
        None
    }
}

/// Whether a read failed because the file (or a directory on its way) is
/// not there.
pub(super) fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}
