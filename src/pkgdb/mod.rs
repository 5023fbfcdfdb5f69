//! Package databases: where the target says what it installed.
//!
//! Every supported format gives the same shape: [`Package`]s, each with the
//! [`FileRecord`]s it registered, streamed a batch at a time by a [`Source`]
//! (what [`open`] returns; a scan reads it twice and never holds it whole),
//! or collected into a [`Database`] by [`Source::load`]. Checks never see a
//! format. A package's install scripts are asked for one package at a
//! time, while a pass holds it ([`Source::scripts`]).
//!
//! * [`source`] — [`Source`] and the [`Backend`] trait a format implements;
//! * [`detect`] — the detection table [`FORMATS`] and [`open`];
//! * [`ownership`] — which paths are registered, compactly
//!   ([`OwnershipIndex`]);
//! * the formats: [`rpm::sqlite`] (`rpmdb.sqlite`: Fedora ≥ 33, RHEL ≥ 9,
//!   openSUSE, Amazon Linux 2023), [`rpm::bdb`] (BerkeleyDB `Packages`:
//!   RHEL/CentOS 7–8, SLES 12), [`rpm::ndb`] (`Packages.db`: SLES 15),
//!   [`dpkg`] (Debian, Ubuntu), [`pacman`] (Arch), [`apk`] (Alpine),
//!   [`portage`] (Gentoo's `var/db/pkg`) and [`pkgsrc`] (NetBSD, SmartOS,
//!   macOS, MINIX).
//!
//! A new database format is a new submodule (a [`Backend`]) plus one row
//! of [`FORMATS`].

pub mod apk;
pub mod detect;

/// The most files one package's records may register: five times the
/// largest real package seen (google-cloud-cli, 50,576 paths). A reader
/// keeps the first ones and says so in a `check-incomplete` finding
/// ([`crate::model::DatabaseProblem::TooManyFiles`]).
pub const MAX_FILES_PER_PACKAGE: usize = 250_000;

/// A `check-incomplete` finding about the package database: what a
/// reader could not read or believe (every format's notes are made so).
pub fn incomplete(
    severity: crate::model::Severity,
    about: crate::model::About,
    problem: crate::model::DatabaseProblem,
) -> crate::model::Finding {
    crate::model::Finding::new(
        crate::model::FindingKind::CheckIncomplete,
        severity,
        about,
        crate::model::Evidence::Incomplete(crate::model::Incomplete {
            check: crate::model::Stage::Database,
            problem: crate::model::Problem::Database(problem),
        }),
    )
}

/// Read up to and including the next `\n` of `r` into `buf`, keeping at
/// most `cap` bytes of it (a hostile line costs no more memory than
/// that). Returns the bytes consumed and whether the line fit.
pub fn read_bounded_line(
    r: &mut impl std::io::BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<(u64, bool)> {
    let mut consumed = 0u64;
    let mut fit = true;
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok((consumed, fit));
        }
        let (chunk, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (&avail[..=i], true),
            None => (avail, false),
        };
        if fit && buf.len() + chunk.len() <= cap + 1 {
            buf.extend_from_slice(chunk);
        } else {
            fit = false;
        }
        let n = chunk.len();
        r.consume(n);
        consumed += n as u64;
        if done {
            return Ok((consumed, fit));
        }
    }
}

/// `parts` joined into one absolute path, with `//` collapsed and `.`
/// components and a trailing `/` dropped, so that the same file always has
/// the same key whichever way a database spells it (`/.`, `./usr/…`,
/// `usr//bin/`); `/` when nothing is left. `..` is kept: the confined
/// lookup resolves it inside ROOT. Every format's reader keys paths so.
pub fn normalize_path(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for part in parts {
        for comp in part.split(|&b| b == b'/') {
            if comp.is_empty() || comp == b"." {
                continue;
            }
            out.push(b'/');
            out.extend_from_slice(comp);
        }
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}
pub mod dpkg;
pub mod ownership;
pub mod pacman;
pub mod pkgsrc;
pub mod portage;
pub mod rpm;
pub mod source;

use std::path::PathBuf;

pub use crate::model::{DigestAlgo, FileFlags, FileRecord, FileState};
pub use detect::{DbFormat, FORMATS, FormatSpec, open, open_with};
pub use ownership::{OwnershipIndex, PathKeyer, PrehashedKey, PrehashedState};
pub use source::{BATCH, BATCH_BYTES, Backend, PassOutcome, ScriptsOutcome, Source};

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

/// What one format keeps of a record beyond the generic fields, for the
/// stages that understand it (the rpm header, which `trust` judges).
/// Opaque here: the format's own module gives typed access
/// ([`rpm::header_of`]), so the generic [`Package`] names no format.
#[derive(Clone)]
pub struct Native(std::sync::Arc<dyn std::any::Any + Send + Sync>);

impl Native {
    /// Keep `value`.
    pub fn new<T: std::any::Any + Send + Sync>(value: T) -> Native {
        Native(std::sync::Arc::new(value))
    }

    /// The value, if it is a `T`.
    pub fn get<T: std::any::Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl std::fmt::Debug for Native {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Native(..)")
    }
}

/// A database record whose package data could not be parsed.
#[derive(Clone, Debug)]
pub struct MalformedRecord {
    /// The record's key in the database (rpm: header instance number).
    pub record: u64,
    /// Why it could not be parsed (the format's own typed error).
    pub error: std::sync::Arc<dyn std::error::Error + Send + Sync>,
    /// What the format could still read of it (rpm: the header, when it
    /// parsed but the package in it did not; its signatures are still
    /// checked).
    pub native: Option<Native>,
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
    /// What its format keeps beyond these fields (rpm: the header it was
    /// read from, for the trust checks; see [`rpm::header_of`]).
    pub native: Option<Native>,
    /// The database records no content digests for this package's files
    /// (dpkg package without `md5sums`): only existence can be checked.
    pub lacks_digests: bool,
}

impl Package {
    /// `name-[epoch:]version-release.arch`, as `rpm -qa` prints it (without
    /// the epoch, like rpm's default `%{nevra}` query format for epoch-less
    /// packages).
    pub fn nevra(&self) -> String {
        crate::model::nevra(
            &self.name,
            self.epoch,
            &self.version,
            &self.release,
            self.arch.as_deref(),
        )
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
        crate::model::package_key(&self.name, self.arch.as_deref())
    }

    /// True for rpm's `gpg-pubkey` pseudo-packages (imported keys).
    pub fn is_pubkey(&self) -> bool {
        self.name == "gpg-pubkey"
    }
}
