//! [`Source`]: a package database opened for streaming, and [`Backend`],
//! the one trait a database format implements.
//!
//! A backend knows how to read its format's records, once per pass, as
//! [`Package`]s with their [`crate::model::FileRecord`]s; it reports
//! records it cannot parse as [`MalformedRecord`]s and other damage as
//! findings in [`PassOutcome::notes`]. Everything generic (batching to the
//! checks, loading whole, describing the database) lives here; where a
//! format is found and how it is recognised is its row of
//! [`super::FORMATS`].

use std::path::PathBuf;

use super::{Database, DbFormat, MalformedRecord, Package, dpkg, rpm};
use crate::error::Error;
use crate::model::{Finding, Script, VerifyAttrs};
use crate::rootfs::Root;

/// One database format's reader: streams its records, as often as asked.
///
/// `read` shows every record once, in database order, to `each`, a batch
/// of at most [`BATCH`] packages (or [`BATCH_BYTES`] of stored data) at a
/// time; `gpg-pubkey` entries included. A batch is dropped when `each`
/// returns. Per-record parsing may run on the current rayon pool; a reader
/// that needs more files of the target (dpkg's lists) reads them from
/// `root`, confined.
pub trait Backend: std::fmt::Debug + Send + Sync {
    /// One pass over every record.
    fn read(
        &self,
        root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> Result<PassOutcome, Error>;

    /// The install scripts of `package`, one of the packages a pass of
    /// this backend just handed over (rpm: the scriptlets of its header's
    /// signed region; dpkg: its maintainer scripts, read from `root`). A
    /// script that cannot be read is a finding in
    /// [`ScriptsOutcome::notes`], never dropped silently. The default, for
    /// a format without install scripts: none.
    fn scripts(&self, root: &Root, package: &Package) -> ScriptsOutcome {
        let _ = (root, package);
        ScriptsOutcome::default()
    }
}

/// What reading one package's install scripts gave ([`Backend::scripts`]).
#[derive(Debug, Default)]
pub struct ScriptsOutcome {
    /// The scripts, at most [`crate::model::MAX_SCRIPTS`], in the format's
    /// order.
    pub scripts: Vec<Script>,
    /// Scripts beyond [`crate::model::MAX_SCRIPTS`], not kept.
    pub omitted: u64,
    /// `check-incomplete` findings about scripts that could not be read.
    pub notes: Vec<Finding>,
}

impl ScriptsOutcome {
    /// Keep `script`, or count it as omitted past
    /// [`crate::model::MAX_SCRIPTS`].
    pub fn push(&mut self, script: Script) {
        if self.scripts.len() < crate::model::MAX_SCRIPTS {
            self.scripts.push(script);
        } else {
            self.omitted += 1;
        }
    }
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
    pub attributes: VerifyAttrs,
    /// Other package databases that exist in the target but are not used.
    pub also_found: Vec<(DbFormat, PathBuf)>,
    backend: Box<dyn Backend>,
}

/// What one pass over a [`Source`] found besides packages: records that
/// could not be parsed and damage to the database itself (the same on
/// every pass of an unchanged database).
#[derive(Debug, Default)]
pub struct PassOutcome {
    /// Records that could not be parsed.
    pub malformed: Vec<MalformedRecord>,
    /// Findings about the database itself (see [`Database::notes`]).
    pub notes: Vec<Finding>,
}

impl Source {
    /// A source reading `backend`: a database of `format` at `path` (inside
    /// the target), which records `attributes` of each file.
    pub fn new(
        format: DbFormat,
        path: PathBuf,
        attributes: VerifyAttrs,
        backend: Box<dyn Backend>,
    ) -> Source {
        Source {
            format,
            path,
            read_wal: false,
            attributes,
            also_found: Vec::new(),
            backend,
        }
    }

    /// A database whose `n`th pass gives `passes[n]` (tests).
    #[cfg(test)]
    pub(crate) fn scripted(passes: Vec<Vec<Package>>) -> Source {
        Source::new(
            DbFormat::RPM_SQLITE,
            PathBuf::from("/var/lib/rpm/rpmdb.sqlite"),
            VerifyAttrs::all(),
            Box::new(Scripted(std::sync::Mutex::new(passes.into()))),
        )
    }

    pub(crate) fn sqlite(reader: rpm::sqlite::Reader) -> Source {
        let read_wal = reader.read_wal();
        let mut s = Source::new(
            DbFormat::RPM_SQLITE,
            reader.path().to_path_buf(),
            VerifyAttrs::all(),
            Box::new(SqliteBackend(reader)),
        );
        s.read_wal = read_wal;
        s
    }

    pub(crate) fn stored(stored: rpm::storage::Stored) -> Source {
        Source::new(
            stored.format(),
            stored.path().to_path_buf(),
            VerifyAttrs::all(),
            Box::new(stored),
        )
    }

    pub(crate) fn dpkg(db: dpkg::Dpkg) -> Source {
        Source::new(
            DbFormat::DPKG,
            db.path().to_path_buf(),
            VerifyAttrs::DIGEST | VerifyAttrs::LINKTO,
            Box::new(db),
        )
    }

    /// Read every record once (see [`Backend::read`]).
    pub fn read(
        &self,
        root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> Result<PassOutcome, Error> {
        self.backend.read(root, each)
    }

    /// The install scripts of `package`, a package a pass just handed over
    /// (see [`Backend::scripts`]).
    pub fn scripts(&self, root: &Root, package: &Package) -> ScriptsOutcome {
        self.backend.scripts(root, package)
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

#[derive(Debug)]
struct SqliteBackend(rpm::sqlite::Reader);

impl Backend for SqliteBackend {
    fn read(
        &self,
        _root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> Result<PassOutcome, Error> {
        self.0.read(each)
    }

    fn scripts(&self, _root: &Root, package: &Package) -> ScriptsOutcome {
        rpm::scripts::scripts_of_package(package)
    }
}

impl Backend for rpm::storage::Stored {
    fn read(
        &self,
        _root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> Result<PassOutcome, Error> {
        rpm::storage::Stored::read(self, each)
    }

    fn scripts(&self, _root: &Root, package: &Package) -> ScriptsOutcome {
        rpm::scripts::scripts_of_package(package)
    }
}

impl Backend for dpkg::Dpkg {
    fn read(
        &self,
        root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> Result<PassOutcome, Error> {
        Ok(dpkg::Dpkg::read(self, root, each))
    }

    fn scripts(&self, root: &Root, package: &Package) -> ScriptsOutcome {
        dpkg::Dpkg::scripts(self, root, package)
    }
}

/// A different set of packages on each pass, for tests of a database that
/// changes while it is read.
#[cfg(test)]
#[derive(Debug)]
struct Scripted(std::sync::Mutex<std::collections::VecDeque<Vec<Package>>>);

#[cfg(test)]
impl Backend for Scripted {
    fn read(
        &self,
        _root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> Result<PassOutcome, Error> {
        let pass = self.0.lock().unwrap().pop_front().unwrap_or_default();
        pass.chunks(BATCH).for_each(each);
        Ok(PassOutcome::default())
    }

    /// One `%post` whose body is the package's NEVRA.
    fn scripts(&self, _root: &Root, package: &Package) -> ScriptsOutcome {
        let mut out = ScriptsOutcome::default();
        out.push(Script::new(
            crate::model::ScriptPhase::Post,
            package.nevra().as_bytes(),
        ));
        out
    }
}
